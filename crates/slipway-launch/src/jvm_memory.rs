//! The JVM memory calculator: how to split a container's memory limit between
//! the JVM's heap and its other regions, as Paketo's libjvm does.
//!
//! A JVM left to itself sizes its heap from the host's memory, or takes a
//! quarter of the container's, and is killed when its native regions push it
//! over the limit. The calculator instead reserves room for every region the
//! JVM can grow and gives the rest to the heap:
//!
//! ```text
//! heap = total − (head room + direct memory + metaspace + code cache + thread stack × threads)
//! ```
//!
//! with a direct memory of [`DIRECT_MEMORY`], a code cache of [`CODE_CACHE`],
//! a thread stack of [`THREAD_STACK`] and a metaspace of
//! [`CLASS_OVERHEAD`] bytes per loaded class plus [`METASPACE_BASE`]. A region
//! the user already sized (say `-Xmx512m` in `JAVA_TOOL_OPTIONS`) keeps their
//! size, in the sum too, and gets no flag of ours.
//!
//! It is pure (the launcher reads the limit and counts classes), so `slipway
//! inspect` can tell the smallest limit an app needs the same way.

use std::fmt;

/// One kibibyte, the unit the JVM flags computed here are written in.
const KIB: u64 = 1024;
/// One mebibyte.
const MIB: u64 = 1024 * KIB;
/// One gibibyte.
const GIB: u64 = 1024 * MIB;

/// `-XX:ReservedCodeCacheSize` when the user sets none: the JVM's own default
/// with tiered compilation, so the JIT never runs out of room.
pub const CODE_CACHE: u64 = 240 * MIB;
/// `-Xss` when the user sets none: the JVM's default on 64-bit Linux.
pub const THREAD_STACK: u64 = MIB;
/// `-XX:MaxDirectMemorySize` when the user sets none (Paketo's default).
pub const DIRECT_MEMORY: u64 = 10 * MIB;
/// Metaspace bytes per loaded class (Paketo's figure).
pub const CLASS_OVERHEAD: u64 = 5_800;
/// Metaspace bytes on top of the classes (Paketo's figure).
pub const METASPACE_BASE: u64 = 14_000_000;
/// Threads to reserve stacks for when `BPL_JVM_THREAD_COUNT` is unset: a
/// typical servlet container's pool plus the JVM's own (Paketo's default).
pub const DEFAULT_THREAD_COUNT: u64 = 250;
/// The smallest heap the calculator gives: below it a JVM hardly starts, so a
/// limit that leaves less is reported as too small (Paketo only checks that
/// the heap is not negative, which lets a JVM fail later in a stranger way).
pub const MIN_HEAP: u64 = 16 * MIB;

/// Classes the JRE itself loads (Paketo counts the JRE's own classes; a constant keeps the
/// launcher from reading the JRE's module image).
pub const JRE_CLASSES: u64 = 8_000;
/// Percentage of the app's classes assumed loaded (Paketo's load factor).
pub const APP_LOAD_PERCENT: u64 = 35;

/// The estimate of loaded classes for an app with `app_classes` classes (loose and in its
/// jars): `JRE_CLASSES + app_classes × 35%`, as Paketo estimates; the launcher counts them at
/// start, `slipway inspect` from the count the buildpack recorded.
#[must_use]
pub fn loaded_classes(app_classes: u64) -> u64 {
    JRE_CLASSES + app_classes * APP_LOAD_PERCENT / 100
}

/// What the calculator works from: the memory limit, the app's size and the
/// user's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmMemoryInputs {
    /// The container's memory limit in bytes (or the machine's memory when
    /// the container has none).
    pub total_memory: u64,
    /// How many classes the JVM will load (`BPL_JVM_LOADED_CLASS_COUNT`, or
    /// an estimate from the app's jars).
    pub loaded_classes: u64,
    /// How many threads to reserve stacks for (`BPL_JVM_THREAD_COUNT`,
    /// [`DEFAULT_THREAD_COUNT`] by default).
    pub threads: u64,
    /// The code cache to reserve when the user's options set none: [`CODE_CACHE`] as Paketo
    /// does, or the smaller size an image sets in `SLIPWAY_JVM_CODE_CACHE` so that a small
    /// container fits (240M alone is most of a 256M limit).
    pub code_cache: u64,
    /// The percentage of the total left to the rest of the container
    /// (`BPL_JVM_HEAD_ROOM`, 0 by default); values above 99 count as 99.
    pub head_room_percent: u64,
    /// The options the user already gave the JVM (`JAVA_TOOL_OPTIONS` and
    /// `JAVA_OPTS`): a region sized there keeps that size.
    pub user_options: String,
}

/// One memory region's size and whether the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The size in bytes.
    pub bytes: u64,
    /// Whether the size came from the user's options; such a region gets no
    /// flag from [`JvmMemoryConfig::java_tool_options`].
    pub user_set: bool,
}

/// The calculated sizes of the JVM's regions, and how to pass them on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmMemoryConfig {
    /// `-Xmx`: the heap.
    pub heap: Region,
    /// `-Xss`: one thread's stack.
    pub thread_stack: Region,
    /// `-XX:MaxMetaspaceSize`: class metadata.
    pub metaspace: Region,
    /// `-XX:ReservedCodeCacheSize`: JIT-compiled code.
    pub code_cache: Region,
    /// `-XX:MaxDirectMemorySize`: NIO direct buffers.
    pub direct_memory: Region,
}

/// The memory limit cannot hold the JVM's regions and a usable heap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooSmall {
    /// The smallest limit that would work, in bytes, rounded up to a MiB.
    pub needed: u64,
    /// The limit that was given, in bytes.
    pub total: u64,
    /// The regions that did not fit; the heap is [`MIN_HEAP`] unless the user
    /// set it.
    pub regions: JvmMemoryConfig,
    /// How many thread stacks were counted.
    pub threads: u64,
    /// The head room asked for, in percent of the limit.
    pub head_room_percent: u64,
}

/// A flag's prefix and the region it sizes.
type Flag = (&'static str, fn(&JvmMemoryConfig) -> Region);

/// Flags the calculator sets, as `(prefix, field)`, in the order Paketo
/// appends them to `JAVA_TOOL_OPTIONS`.
const TOOL_OPTIONS_ORDER: [Flag; 5] = [
    ("-XX:MaxDirectMemorySize=", |c| c.direct_memory),
    ("-Xmx", |c| c.heap),
    ("-XX:MaxMetaspaceSize=", |c| c.metaspace),
    ("-XX:ReservedCodeCacheSize=", |c| c.code_cache),
    ("-Xss", |c| c.thread_stack),
];

/// The same flags in the order the CF Java buildpack prints them.
const SUMMARY_ORDER: [Flag; 5] = [
    ("-Xmx", |c| c.heap),
    ("-Xss", |c| c.thread_stack),
    ("-XX:ReservedCodeCacheSize=", |c| c.code_cache),
    ("-XX:MaxDirectMemorySize=", |c| c.direct_memory),
    ("-XX:MaxMetaspaceSize=", |c| c.metaspace),
];

/// Splits the memory limit between the JVM's regions.
///
/// Each computed size is rounded down to a whole KiB, so the flags add up to
/// no more than the limit. It is an error when the limit, less the head room,
/// cannot hold the other regions and a heap of [`MIN_HEAP`] (or the user's
/// `-Xmx`).
pub fn calculate(inputs: &JvmMemoryInputs) -> Result<JvmMemoryConfig, TooSmall> {
    let user = |prefix| region(&inputs.user_options, prefix);
    let metaspace = inputs
        .loaded_classes
        .saturating_mul(CLASS_OVERHEAD)
        .saturating_add(METASPACE_BASE);
    let mut config = JvmMemoryConfig {
        heap: user("-Xmx").unwrap_or(computed(MIN_HEAP)),
        thread_stack: user("-Xss").unwrap_or(computed(THREAD_STACK)),
        metaspace: user("-XX:MaxMetaspaceSize=").unwrap_or(computed(metaspace / KIB * KIB)),
        code_cache: user("-XX:ReservedCodeCacheSize=").unwrap_or(computed(inputs.code_cache)),
        direct_memory: user("-XX:MaxDirectMemorySize=").unwrap_or(computed(DIRECT_MEMORY)),
    };
    let percent = inputs.head_room_percent.min(99);
    let head_room = percent_of(inputs.total_memory, percent);
    let available = inputs.total_memory - head_room;
    let non_heap = config
        .thread_stack
        .bytes
        .saturating_mul(inputs.threads)
        .saturating_add(config.metaspace.bytes)
        .saturating_add(config.code_cache.bytes)
        .saturating_add(config.direct_memory.bytes);
    let needed = non_heap.saturating_add(config.heap.bytes);
    if needed > available {
        return Err(TooSmall {
            needed: smallest_total(needed, percent),
            total: inputs.total_memory,
            regions: config,
            threads: inputs.threads,
            head_room_percent: percent,
        });
    }
    if !config.heap.user_set {
        config.heap.bytes = (available - non_heap) / KIB * KIB;
    }
    Ok(config)
}

/// The smallest memory limit the JVM described by `inputs` starts in (their `total_memory` is
/// ignored): what `slipway inspect` shows, computed as the launcher will compute it.
#[must_use]
pub fn smallest_limit(inputs: &JvmMemoryInputs) -> u64 {
    let probe = JvmMemoryInputs {
        total_memory: 0,
        ..inputs.clone()
    };
    match calculate(&probe) {
        Ok(_) => 0,
        Err(too_small) => too_small.needed,
    }
}

impl JvmMemoryConfig {
    /// The flags to append to `JAVA_TOOL_OPTIONS`: only the regions the user
    /// did not size, as in `-XX:MaxDirectMemorySize=10M -Xmx454936K
    /// -XX:MaxMetaspaceSize=81640K -XX:ReservedCodeCacheSize=240M -Xss1M`.
    #[must_use]
    pub fn java_tool_options(&self) -> String {
        self.flags(&TOOL_OPTIONS_ORDER, false)
    }

    /// The line the launcher prints at start, every region included, as the
    /// CF Java buildpack prints it: `JVM Memory Configuration: -Xmx454936K
    /// -Xss1M -XX:ReservedCodeCacheSize=240M -XX:MaxDirectMemorySize=10M
    /// -XX:MaxMetaspaceSize=81640K`.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "JVM Memory Configuration: {}",
            self.flags(&SUMMARY_ORDER, true)
        )
    }

    fn flags(&self, order: &[Flag], with_user_set: bool) -> String {
        let flags: Vec<String> = order
            .iter()
            .map(|(prefix, field)| (prefix, field(self)))
            .filter(|(_, region)| with_user_set || !region.user_set)
            .map(|(prefix, region)| format!("{prefix}{}", Size(region.bytes)))
            .collect();
        flags.join(" ")
    }
}

impl fmt::Display for TooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.regions;
        write!(
            f,
            "the container's memory limit {} is too small for this JVM: it needs at least {} \
             (heap {} + metaspace {} + code cache {} + thread stacks {}×{} + direct {}",
            Size(self.total),
            Size(self.needed),
            Size(r.heap.bytes),
            Size(r.metaspace.bytes),
            Size(r.code_cache.bytes),
            self.threads,
            Size(r.thread_stack.bytes),
            Size(r.direct_memory.bytes),
        )?;
        if self.head_room_percent > 0 {
            write!(f, " + head room {}%", self.head_room_percent)?;
        }
        write!(f, "); raise the limit with -m")
    }
}

impl std::error::Error for TooSmall {}

/// A size written the way JVM flags take it, in the largest unit that divides
/// it exactly: `240M`, `81640K`, `1G`, or plain bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        match [(GIB, 'G'), (MIB, 'M'), (KIB, 'K')]
            .into_iter()
            .find(|(unit, _)| bytes != 0 && bytes.is_multiple_of(*unit))
        {
            Some((unit, suffix)) => write!(f, "{}{suffix}", bytes / unit),
            None => write!(f, "{bytes}"),
        }
    }
}

/// Reads a JVM size (`512m`, `1G`, `1024k`, `1048576`) into bytes.
#[must_use]
pub fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (end, c) if c.is_ascii_alphabetic() => (&text[..end], c.to_ascii_lowercase()),
        _ => (text, 'b'),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let multiplier = match unit {
        'b' => 1,
        'k' => KIB,
        'm' => MIB,
        'g' => GIB,
        't' => GIB * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

/// The size the user gave a region with `prefix` (the last one wins, as in
/// the JVM); a value that is not a size counts as unset.
fn region(options: &str, prefix: &str) -> Option<Region> {
    let bytes = options
        .split_whitespace()
        .filter_map(|option| option.strip_prefix(prefix))
        .next_back()
        .and_then(parse_size)?;
    Some(Region {
        bytes,
        user_set: true,
    })
}

fn computed(bytes: u64) -> Region {
    Region {
        bytes,
        user_set: false,
    }
}

/// `percent` of `total`, rounded down.
fn percent_of(total: u64, percent: u64) -> u64 {
    u64::try_from(u128::from(total) * u128::from(percent) / 100).unwrap_or(u64::MAX)
}

/// The smallest limit, in whole MiB, whose part outside the head room holds
/// `needed` bytes.
fn smallest_total(needed: u64, percent: u64) -> u64 {
    let kept = 100 - u128::from(percent);
    let total = (u128::from(needed) * 100).div_ceil(kept);
    let rounded = total.div_ceil(u128::from(MIB)) * u128::from(MIB);
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
