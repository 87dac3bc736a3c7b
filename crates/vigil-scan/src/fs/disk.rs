//! A raw disk image: find the partitions (GPT, then MBR, then the bare volume) and open each
//! ext2/3/4 one. A corrupt table or superblock is a problem reported, not a failure: the other
//! partitions are still scanned.

use super::ext4::{Ext4Fs, Window};
use crate::report::{Problem, ProblemKind};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One readable ext4 volume of a disk image.
pub struct DiskPartition {
    /// `p1`, `p2` … (or `whole` for a bare filesystem image).
    pub label: String,
    pub start: u64,
    pub len: u64,
    pub fs: Ext4Fs,
}

const SECTOR: u64 = 512;
const EXT_MAGIC_OFFSET: u64 = 1024 + 56;

fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> bool {
    file.seek(SeekFrom::Start(offset)).is_ok() && file.read_exact(buf).is_ok()
}

fn has_ext_magic(file: &mut File, start: u64) -> bool {
    let mut magic = [0u8; 2];
    read_at(file, start + EXT_MAGIC_OFFSET, &mut magic) && magic == [0x53, 0xEF]
}

/// Partitions as `(label, start byte, length)`, from GPT or MBR.
fn partition_table(
    path: &Path,
    file: &mut File,
    disk_len: u64,
    problems: &mut Vec<Problem>,
) -> Vec<(String, u64, u64)> {
    let shown = path.display().to_string();
    let mut sig = [0u8; 8];
    if read_at(file, SECTOR, &mut sig) && &sig == b"EFI PART" {
        match File::open(path).map_err(|e| e.to_string()).and_then(|f| {
            gpt::GptConfig::new()
                .writable(false)
                .open_from_device(f)
                .map_err(|e| e.to_string())
        }) {
            Ok(disk) => {
                let mut out = Vec::new();
                for (n, p) in disk.partitions() {
                    if p.first_lba == 0 || p.last_lba < p.first_lba {
                        continue;
                    }
                    let start = p.first_lba.saturating_mul(SECTOR);
                    let len = (p.last_lba - p.first_lba + 1).saturating_mul(SECTOR);
                    if start.saturating_add(len) > disk_len {
                        problems.push(Problem::new(
                            ProblemKind::CorruptPartitionTable,
                            shown.clone(),
                            format!("GPT partition {n} ends past the end of the image"),
                        ));
                        continue;
                    }
                    out.push((format!("p{n}"), start, len));
                }
                return out;
            }
            Err(e) => problems.push(Problem::new(
                ProblemKind::CorruptPartitionTable,
                shown.clone(),
                format!("GPT: {e}"),
            )),
        }
    }
    let mut boot = [0u8; 2];
    if read_at(file, 510, &mut boot) && boot == [0x55, 0xAA] && !has_ext_magic(file, 0) {
        match mbrman::MBR::read_from(file, SECTOR as u32) {
            Ok(mbr) => {
                let mut out = Vec::new();
                for (n, p) in mbr.iter() {
                    if p.sys == 0 || p.sectors == 0 || p.sys == 0xEE {
                        continue;
                    }
                    let start = u64::from(p.starting_lba) * SECTOR;
                    let len = u64::from(p.sectors) * SECTOR;
                    if start.saturating_add(len) > disk_len {
                        problems.push(Problem::new(
                            ProblemKind::CorruptPartitionTable,
                            shown.clone(),
                            format!("MBR partition {n} ends past the end of the image"),
                        ));
                        continue;
                    }
                    out.push((format!("p{n}"), start, len));
                }
                return out;
            }
            Err(e) => problems.push(Problem::new(
                ProblemKind::CorruptPartitionTable,
                shown.clone(),
                format!("MBR: {e}"),
            )),
        }
    }
    Vec::new()
}

/// Why the superblock at `start` cannot describe a volume of `len` bytes, if it cannot.
///
/// `ext4-view` sizes its block-group table from the superblock before reading it, so a
/// hostile superblock (found by the `archives` fuzz target: a 64 KiB image claiming ~2^30
/// groups) made it ask for 34 GB and abort the process. Every group holds at least one block,
/// so a real volume has no more groups than blocks fit in it.
fn implausible_group_count(file: &mut File, start: u64, len: u64) -> Option<String> {
    let mut sb = [0u8; 1024];
    if !read_at(file, start + 1024, &mut sb) {
        return None; // ext4-view reports the short read itself
    }
    let u32_at = |o: usize| {
        sb.get(o..o + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    // The fields ext4-view reads, the way it reads them.
    let blocks = u64::from(u32_at(0x4)) | (u64::from(u32_at(0x150)) << 32);
    let first_data_block = u64::from(u32_at(0x14));
    let log_block_size = u32_at(0x18);
    let per_group = u64::from(u32_at(0x20));
    if per_group == 0 || log_block_size > 6 {
        return None; // rejected by ext4-view with its own message
    }
    let groups = blocks.saturating_sub(first_data_block).div_ceil(per_group);
    let block_bytes = 1024u64 << log_block_size;
    let room = len.div_ceil(block_bytes);
    (groups > room).then(|| {
        format!("superblock claims {groups} block groups; a {len}-byte volume holds at most {room}")
    })
}

/// Opens every ext4 volume of the image at `path`. Errors only when the file cannot be opened.
pub fn open_disk(path: &Path) -> std::io::Result<(Vec<DiskPartition>, Vec<Problem>)> {
    let mut file = File::open(path)?;
    let disk_len = file.metadata()?.len();
    let shown = path.display().to_string();
    let mut problems = Vec::new();
    let mut table = partition_table(path, &mut file, disk_len, &mut problems);
    if table.is_empty() {
        table.push(("whole".to_string(), 0, disk_len));
    }
    let mut parts = Vec::new();
    for (label, start, len) in table {
        if !has_ext_magic(&mut file, start) {
            problems.push(Problem::new(
                ProblemKind::Unsupported,
                format!("{shown}#{label}"),
                "no ext2/3/4 superblock (other filesystems, e.g. XFS, are not read)",
            ));
            continue;
        }
        if let Some(why) = implausible_group_count(&mut file, start, len) {
            problems.push(Problem::new(
                ProblemKind::CorruptFilesystem,
                format!("{shown}#{label}"),
                format!("ext4: {why}"),
            ));
            continue;
        }
        let window = Window {
            file: File::open(path)?,
            start,
            len,
        };
        match Ext4Fs::load(window, format!("{label} of {shown}")) {
            Ok(fs) => parts.push(DiskPartition {
                label,
                start,
                len,
                fs,
            }),
            Err(e) => problems.push(Problem::new(
                ProblemKind::CorruptFilesystem,
                format!("{shown}#{label}"),
                format!("ext4: {e}"),
            )),
        }
    }
    Ok((parts, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `archives` fuzz target: a 2 KiB image whose superblock's high block-count
    /// word is 4096 (so ~2^31 block groups) made `ext4-view` allocate 34 GB and abort.
    #[test]
    fn superblock_with_absurd_group_count_is_reported_not_loaded() {
        let mut img = vec![0u8; 4096];
        let sb = 1024;
        let put = |img: &mut Vec<u8>, at: usize, v: u32| {
            img[sb + at..sb + at + 4].copy_from_slice(&v.to_le_bytes())
        };
        put(&mut img, 0x4, 327_744); // blocks, low word
        put(&mut img, 0x150, 4096); // blocks, high word
        put(&mut img, 0x14, 1); // first data block
        put(&mut img, 0x20, 8192); // blocks per group
        put(&mut img, 0x28, 16); // inodes per group
        img[sb + 0x38..sb + 0x3a].copy_from_slice(&0xEF53u16.to_le_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.img");
        std::fs::write(&path, &img).unwrap();
        let (parts, problems) = open_disk(&path).unwrap();
        assert!(parts.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, ProblemKind::CorruptFilesystem);
        assert!(problems[0].detail.contains("block groups"), "{problems:?}");
    }
}
