#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Fuzz-style: rule files made of random YAML-ish fragments load without panicking, and every
//! problem names the file.

use proptest::prelude::*;
use std::path::PathBuf;
use vigil_sigma::{RuleSet, RuleSource};

const FRAGMENTS: &[&str] = &[
    "title: t\n",
    "id: x\n",
    "level: high\n",
    "level: bogus\n",
    "logsource: {product: aws, service: cloudtrail}\n",
    "logsource: {product: linux, category: process_creation}\n",
    "detection:\n",
    "  sel:\n",
    "    eventName: StopLogging\n",
    "    eventName|contains|all: [a, b]\n",
    "    Image|endswith: /bash\n",
    "    CommandLine|re: '(a+)+$'\n",
    "    CommandLine|re: '['\n",
    "    field|cidr: 10.0.0.0/8\n",
    "    field|cidr: nonsense\n",
    "    f|base64offset|contains: x\n",
    "    f|windash|contains: -e\n",
    "    f|exists: true\n",
    "    f|gt: 5\n",
    "    f|fieldref: g\n",
    "    f|bogus: 1\n",
    "    f: null\n",
    "    f: [1, 2.5, true, null]\n",
    "    - a\n",
    "    - {x: 1}\n",
    "  condition: sel\n",
    "  condition: 1 of sel*\n",
    "  condition: all of them and not sel\n",
    "  condition: (sel\n",
    "  condition: sel | count() > 5\n",
    "  condition: [sel, sel]\n",
    "  keywords: [a, '*b']\n",
    "  '|contains': x\n",
    ": :\n",
    "- - -\n",
    "{{{\n",
    "&a [*a]\n",
    "\t\n",
    "---\n",
    "tags: [attack.t1078, attack.persistence]\n",
    "action: global\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_rule_files_never_panic(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..24)) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let (set, problems) = RuleSet::from_sources([RuleSource { path: PathBuf::from("f.yml"), text }]);
        for p in &problems {
            prop_assert_eq!(p.path.to_str(), Some("f.yml"));
        }
        prop_assert!(set.len() <= 2);
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in "\\PC{0,200}") {
        let _ = RuleSet::from_sources([RuleSource { path: PathBuf::from("g.yml"), text }]);
    }
}
