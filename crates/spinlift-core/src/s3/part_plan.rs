//! How an object of a known size is cut into the parts of a multipart upload, within S3's
//! limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them, objects
//! up to 48.8 TiB (10,000 parts of 5 GiB; the limit was 5 TiB until December 2025).
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>

use std::fmt;

/// The smallest part S3 takes, but the last.
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// The largest part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// The most parts an upload has.
pub const MAX_PARTS: u64 = 10_000;
/// The largest object.
pub const MAX_OBJECT_SIZE: u64 = MAX_PARTS * MAX_PART_SIZE;
/// The part size when none is asked for (as the AWS CLI's default), or larger when the object
/// needs it to fit 10,000 parts.
pub const DEFAULT_PART_SIZE: u64 = 8 << 20;

/// An object's size and the size of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// The object's size in bytes.
    pub size: u64,
    /// Every part's size but the last one's.
    pub part_size: u64,
}

/// Why an object cannot be cut as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

impl PartPlan {
    /// The plan for `size` bytes in parts of `part_size` (or the default: 8 MiB, or the
    /// smallest whole number of MiB that fits the object in 10,000 parts).
    ///
    /// # Errors
    /// The object is over 48.8 TiB, the part size outside 5 MiB–5 GiB, or too small for the
    /// object to fit 10,000 parts.
    pub fn new(size: u64, part_size: Option<u64>) -> Result<Self, PlanError> {
        if size > MAX_OBJECT_SIZE {
            return Err(PlanError(format!(
                "size must be at most 48.8 TiB ({MAX_OBJECT_SIZE} bytes)"
            )));
        }
        let needed = size.div_ceil(MAX_PARTS);
        let part_size = match part_size {
            None => DEFAULT_PART_SIZE.max(needed.div_ceil(1 << 20) << 20),
            Some(asked) if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&asked) => {
                return Err(PlanError(format!(
                    "part_size must be from 5 MiB ({MIN_PART_SIZE}) to 5 GiB ({MAX_PART_SIZE}) bytes"
                )))
            }
            Some(asked) if asked < needed => {
                return Err(PlanError(format!(
                    "part_size must be at least {needed} bytes for {size} bytes to fit in {MAX_PARTS} parts"
                )))
            }
            Some(asked) => asked,
        };
        Ok(Self { size, part_size })
    }

    /// How many parts: one at least (an empty object is one empty part).
    pub fn count(&self) -> u16 {
        // At most 10,000 by construction.
        self.size.div_ceil(self.part_size).max(1) as u16
    }

    /// The size of part `number` (1-based); `None` past the last part.
    pub fn part_len(&self, number: u16) -> Option<u64> {
        if number == 0 || number > self.count() {
            return None;
        }
        let start = u64::from(number - 1) * self.part_size;
        Some((self.size - start).min(self.part_size))
    }

    /// The bytes of part `number` (1-based) in the object, first and last included, as a copy
    /// of it asks them (`x-amz-copy-source-range: bytes=first-last`); `None` past the last
    /// part or for an empty object, which has no byte to name.
    pub fn part_range(&self, number: u16) -> Option<(u64, u64)> {
        let len = self.part_len(number).filter(|len| *len > 0)?;
        let first = u64::from(number - 1) * self.part_size;
        Some((first, first + len - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn default_parts_are_8_mib_or_as_large_as_10000_parts_need() {
        let plan = PartPlan::new(64 * MIB, None).unwrap();
        assert_eq!((plan.part_size, plan.count()), (8 * MIB, 8));
        let plan = PartPlan::new(20 * MIB + 1, None).unwrap();
        assert_eq!(plan.count(), 3);
        assert_eq!(plan.part_len(3), Some(4 * MIB + 1));
        assert_eq!(plan.part_len(4), None);
        assert_eq!(plan.part_len(0), None);
        // 5 TiB: 524.29 MiB per part, rounded up to 525 MiB; 9,987 parts.
        let plan = PartPlan::new(5 << 40, None).unwrap();
        assert_eq!((plan.part_size, plan.count()), (525 * MIB, 9_987));
        let sum: u64 = (1..=plan.count()).map(|n| plan.part_len(n).unwrap()).sum();
        assert_eq!(sum, 5 << 40);
        // The largest object S3 takes: 10,000 parts of 5 GiB.
        let plan = PartPlan::new(MAX_OBJECT_SIZE, None).unwrap();
        assert_eq!((plan.part_size, plan.count()), (MAX_PART_SIZE, 10_000));
    }

    #[test]
    fn part_ranges_cover_every_byte_once() {
        let plan = PartPlan::new(12 * MIB + 1, Some(5 * MIB)).unwrap();
        assert_eq!(plan.part_range(1), Some((0, 5 * MIB - 1)));
        assert_eq!(plan.part_range(2), Some((5 * MIB, 10 * MIB - 1)));
        assert_eq!(plan.part_range(3), Some((10 * MIB, 12 * MIB)));
        assert_eq!(plan.part_range(4), None);
        assert_eq!(PartPlan::new(0, None).unwrap().part_range(1), None);
    }

    #[test]
    fn small_and_empty_objects_are_one_part() {
        assert_eq!(PartPlan::new(1, None).unwrap().count(), 1);
        let empty = PartPlan::new(0, None).unwrap();
        assert_eq!((empty.count(), empty.part_len(1)), (1, Some(0)));
    }

    #[test]
    fn asked_part_sizes_are_held_to_s3s_limits() {
        assert_eq!(PartPlan::new(64 * MIB, Some(5 * MIB)).unwrap().count(), 13);
        for (size, part_size) in [
            (64 * MIB, 5 * MIB - 1),
            (64 * MIB, MAX_PART_SIZE + 1),
            (100_000 * MIB, 5 * MIB),
            (MAX_OBJECT_SIZE + 1, MAX_PART_SIZE),
        ] {
            assert!(
                PartPlan::new(size, Some(part_size)).is_err(),
                "{size} in {part_size}"
            );
        }
        assert!(PartPlan::new(100_000 * MIB, Some(10 * MIB)).is_ok());
    }
}
