//! The compromised host's filesystem as a directory, for the agentless scanner: an Ubuntu
//! 22.04 base with some unpatched packages, the contractor's Python app with old dependencies,
//! and his long-lived key hard-coded in the app's settings.

use crate::DemoError;
use crate::identities::Identities;
use crate::ids::{self, DemoRng};
use std::path::Path;

/// `(package, version, section)`: installed Debian packages. Those Ubuntu has since fixed
/// (glibc, runc, openssh, sudo, openssl, curl, zlib, expat, libssh, dpkg, util-linux) are at versions jammy really
/// shipped: each is listed as affected in the Ubuntu OSV record of its notice, copied into
/// `vigil-scan/data/advisories/demo/ubuntu-jammy-demo.json`.
const DPKG: [(&str, &str, &str); 40] = [
    ("adduser", "3.118ubuntu5", "admin"),
    ("apt", "2.4.5", "admin"),
    ("base-files", "12ubuntu4", "admin"),
    ("bash", "5.1-6ubuntu1", "shells"),
    ("bsdutils", "1:2.37.2-4ubuntu3", "utils"),
    ("ca-certificates", "20211016", "misc"),
    ("containerd", "1.5.9-0ubuntu3", "admin"),
    ("coreutils", "8.32-4.1ubuntu1", "utils"),
    ("cron", "3.0pl1-137ubuntu3", "admin"),
    ("curl", "7.81.0-1ubuntu1.4", "web"),
    ("dash", "0.5.11+git20210903+057cd650a4ed-3build1", "shells"),
    ("docker.io", "20.10.12-0ubuntu4", "admin"),
    ("dpkg", "1.21.1ubuntu2", "admin"),
    ("git", "1:2.34.1-1ubuntu1", "vcs"),
    ("grep", "3.7-1build1", "utils"),
    ("gzip", "1.10-4ubuntu4", "utils"),
    ("libc-bin", "2.35-0ubuntu3", "libs"),
    ("libc6", "2.35-0ubuntu3", "libs"),
    ("libcurl4", "7.81.0-1ubuntu1.4", "libs"),
    ("libexpat1", "2.4.7-1", "libs"),
    ("libpam-modules", "1.4.0-11ubuntu2", "admin"),
    ("libssh-4", "0.9.6-2build1", "libs"),
    ("libssl3", "3.0.2-0ubuntu1", "libs"),
    ("libsystemd0", "249.11-0ubuntu3", "libs"),
    ("libxml2", "2.9.13+dfsg-1build1", "libs"),
    ("login", "1:4.8.1-2ubuntu2", "admin"),
    ("nginx", "1.18.0-6ubuntu14", "httpd"),
    ("nginx-common", "1.18.0-6ubuntu14", "httpd"),
    ("openssh-client", "1:8.9p1-3", "net"),
    ("openssh-server", "1:8.9p1-3", "net"),
    ("openssl", "3.0.2-0ubuntu1", "utils"),
    ("passwd", "1:4.8.1-2ubuntu2", "admin"),
    ("python3.10", "3.10.4-3", "python"),
    ("runc", "1.1.0-0ubuntu1", "admin"),
    ("sudo", "1.9.9-1ubuntu2", "admin"),
    ("systemd", "249.11-0ubuntu3", "admin"),
    ("tar", "1.34+dfsg-1build3", "utils"),
    ("tzdata", "2022a-0ubuntu1", "localization"),
    ("wget", "1.21.2-2ubuntu1", "web"),
    ("zlib1g", "1:1.2.11.dfsg-2ubuntu9", "libs"),
];

/// The app's Python dependencies, pinned to old releases (PyYAML 5.3.1 is CVE-2020-14343).
const PYTHON: [(&str, &str); 10] = [
    ("Flask", "1.1.2"),
    ("Werkzeug", "0.16.1"),
    ("Jinja2", "2.10.1"),
    ("PyYAML", "5.3.1"),
    ("requests", "2.22.0"),
    ("urllib3", "1.24.2"),
    ("boto3", "1.17.0"),
    ("gunicorn", "19.9.0"),
    ("psycopg2-binary", "2.8.6"),
    ("cryptography", "3.2"),
];

/// What the manifest may say about the planted secret (never the secret itself).
#[derive(Debug, Clone)]
pub struct RootfsFacts {
    pub files: u64,
    pub secret_prefix: String,
    pub secret_xxh3: String,
    pub key_path: String,
}

fn dpkg_status() -> String {
    let mut out = String::new();
    for (name, version, section) in DPKG {
        let source = match name {
            "libssl3" => Some("openssl"),
            "libssh-4" => Some("libssh"),
            "libcurl4" => Some("curl"),
            "libc6" | "libc-bin" => Some("glibc"),
            "openssh-client" | "openssh-server" => Some("openssh"),
            "nginx-common" => Some("nginx"),
            "libsystemd0" => Some("systemd"),
            "zlib1g" => Some("zlib"),
            "libexpat1" => Some("expat"),
            "login" | "passwd" => Some("shadow"),
            "libpam-modules" => Some("pam"),
            "bsdutils" => Some("util-linux (2.37.2-4ubuntu3)"),
            _ => None,
        };
        out.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: {section}\nInstalled-Size: {}\nMaintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>\nArchitecture: amd64\n",
            100 + name.len() * 37
        ));
        if let Some(s) = source {
            out.push_str(&format!("Source: {s}\n"));
        }
        out.push_str(&format!(
            "Version: {version}\nDescription: {name} package\n Installed on the lumen development host.\n\n"
        ));
    }
    out
}

fn write(root: &Path, rel: &str, text: &str, count: &mut u64) -> Result<(), DemoError> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DemoError::io(dir, e))?;
    }
    std::fs::write(&path, text).map_err(|e| DemoError::io(&path, e))?;
    *count += 1;
    Ok(())
}

pub fn write_rootfs(
    out_dir: &Path,
    cast: &Identities,
    db_host: &str,
    rng: &mut DemoRng,
) -> Result<RootfsFacts, DemoError> {
    let root = out_dir.join("rootfs");
    let mut n = 0u64;
    let w = |rel: &str, text: &str, n: &mut u64| write(&root, rel, text, n);
    w(
        "etc/os-release",
        "PRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.1 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME=jammy\n",
        &mut n,
    )?;
    w(
        "etc/lsb-release",
        "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.1 LTS\"\n",
        &mut n,
    )?;
    w("etc/hostname", "lumen-dev\n", &mut n)?;
    w(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nsystemd-network:x:100:102:systemd Network Management,,,:/run/systemd:/usr/sbin/nologin\nmessagebus:x:103:104::/nonexistent:/usr/sbin/nologin\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n",
        &mut n,
    )?;
    w(
        "etc/group",
        "root:x:0:\nadm:x:4:syslog,ubuntu\nsudo:x:27:ubuntu\nwww-data:x:33:\ndocker:x:998:ubuntu\nubuntu:x:1000:\n",
        &mut n,
    )?;
    w(
        "etc/sudoers.d/90-cloud-init-users",
        "# Created by cloud-init v. 22.2 on Thu, 01 Sep 2022 10:11:12 +0000\n\n# User rules for ubuntu\nubuntu ALL=(ALL) NOPASSWD:ALL\n",
        &mut n,
    )?;
    w("var/lib/dpkg/status", &dpkg_status(), &mut n)?;

    let key = &cast.contractor().access_key_id;
    let secret = ids::secret_access_key(rng);
    let settings = format!(
        "\"\"\"Lumen settings. TODO: move credentials to env before launch.\"\"\"\nimport os\n\nDEBUG = True\nDATABASE_URL = os.environ.get(\"DATABASE_URL\", \"postgresql://lumen:lumen-dev-pass@{db_host}:5432/lumen_prod_db\")\nUPLOAD_BUCKET = \"lumen-uploads-prod-{acct}\"\nAWS_REGION = \"us-east-1\"\n\n# quick fix so uploads work from the container\nAWS_ACCESS_KEY_ID = \"{key}\"\nAWS_SECRET_ACCESS_KEY = \"{secret}\"\n",
        acct = cast.account
    );
    w("opt/app/config/settings.py", &settings, &mut n)?;
    w("opt/app/config/__init__.py", "", &mut n)?;
    w(
        "opt/app/app.py",
        "import yaml\nfrom flask import Flask, request, jsonify\n\nfrom config import settings\n\napp = Flask(__name__)\n\n\n@app.route(\"/health\")\ndef health():\n    return \"ok\"\n\n\n@app.route(\"/api/import\", methods=[\"POST\"])\ndef import_config():\n    # Accepts a YAML project description from the browser.\n    doc = yaml.load(request.data, Loader=yaml.FullLoader)\n    return jsonify({\"imported\": len(doc or {})})\n",
        &mut n,
    )?;
    let reqs: String = PYTHON.iter().map(|(p, v)| format!("{p}=={v}\n")).collect();
    w("opt/app/requirements.txt", &reqs, &mut n)?;
    w(
        "opt/app/Dockerfile",
        "FROM python:3.10-slim\nRUN useradd -u 1000 -m app\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nUSER app\nEXPOSE 8080\nCMD [\"gunicorn\", \"-w\", \"2\", \"-b\", \"0.0.0.0:8080\", \"app:app\"]\n",
        &mut n,
    )?;
    w(
        "opt/app/docker-compose.yml",
        "services:\n  web:\n    image: lumen-web:1.4.2\n    privileged: true\n    ports:\n      - \"8080:8080\"\n    volumes:\n      - /opt/app:/app\n      - /var/run/docker.sock:/var/run/docker.sock\n    restart: always\n",
        &mut n,
    )?;
    for (name, version) in PYTHON {
        let dist = name.replace('-', "_");
        let base = format!("opt/app/venv/lib/python3.10/site-packages/{dist}-{version}.dist-info");
        w(
            &format!("{base}/METADATA"),
            &format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name}\n"),
            &mut n,
        )?;
        w(&format!("{base}/INSTALLER"), "pip\n", &mut n)?;
    }
    w(
        "opt/app/frontend/package-lock.json",
        "{\n  \"name\": \"lumen-frontend\",\n  \"version\": \"0.1.0\",\n  \"lockfileVersion\": 2,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"lumen-frontend\",\n      \"version\": \"0.1.0\",\n      \"dependencies\": {\n        \"lodash\": \"4.17.15\",\n        \"minimist\": \"1.2.5\"\n      }\n    },\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.15\",\n      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz\",\n      \"integrity\": \"sha512-8xOcRHvCjnocdS5cpwXQXVzmmh5e5+saE2QGoeQmbKmRS6J3VQppPOIt0MnmE+4xlZoumy0GPG0D0MVIQbNA1A==\"\n    },\n    \"node_modules/minimist\": {\n      \"version\": \"1.2.5\",\n      \"resolved\": \"https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz\",\n      \"integrity\": \"sha512-FM9nNUYrRBAELZQT3xeZQ7fmMOBg6nWNmJKTcgsJeaLstP/UODVpGsr5OhXhhXg6f+qtJ8uiZ+PUxkDWcgIXLw==\"\n    }\n  },\n  \"dependencies\": {\n    \"lodash\": {\n      \"version\": \"4.17.15\",\n      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz\",\n      \"integrity\": \"sha512-8xOcRHvCjnocdS5cpwXQXVzmmh5e5+saE2QGoeQmbKmRS6J3VQppPOIt0MnmE+4xlZoumy0GPG0D0MVIQbNA1A==\"\n    },\n    \"minimist\": {\n      \"version\": \"1.2.5\",\n      \"resolved\": \"https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz\",\n      \"integrity\": \"sha512-FM9nNUYrRBAELZQT3xeZQ7fmMOBg6nWNmJKTcgsJeaLstP/UODVpGsr5OhXhhXg6f+qtJ8uiZ+PUxkDWcgIXLw==\"\n    }\n  }\n}\n",
        &mut n,
    )?;
    w(
        "home/ubuntu/.bash_history",
        "sudo apt-get install -y docker.io nginx\nsudo usermod -aG docker ubuntu\ncd /opt/app\naws configure\naws sts get-caller-identity\naws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin\ndocker build -t lumen-web:1.4.2 .\ndocker compose up -d\ncurl localhost:8080/health\nvim config/settings.py\ndocker compose restart\nexit\n",
        &mut n,
    )?;
    w(
        "home/ubuntu/.aws/config",
        "[default]\nregion = us-east-1\noutput = json\n",
        &mut n,
    )?;
    w(
        "etc/nginx/sites-enabled/lumen",
        "server {\n    listen 80 default_server;\n    location / {\n        proxy_pass http://127.0.0.1:8080;\n    }\n}\n",
        &mut n,
    )?;
    w("var/log/nginx/access.log", "", &mut n)?;
    Ok(RootfsFacts {
        files: n,
        secret_prefix: secret.chars().take(4).collect(),
        secret_xxh3: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(secret.as_bytes())),
        key_path: "opt/app/config/settings.py".to_string(),
    })
}
