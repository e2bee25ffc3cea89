//! Figures checked by hand, in KiB: 1G is 1048576K, 256M 262144K, the code
//! cache 245760K, 250 stacks of 1M 256000K, direct memory 10240K; a metaspace
//! for N classes is (N × 5800 + 14000000) / 1024, rounded down.

use super::*;

fn inputs(total_memory: u64, loaded_classes: u64) -> JvmMemoryInputs {
    JvmMemoryInputs {
        total_memory,
        loaded_classes,
        threads: DEFAULT_THREAD_COUNT,
        code_cache: CODE_CACHE,
        head_room_percent: 0,
        user_options: String::new(),
    }
}

fn calculated(inputs: &JvmMemoryInputs) -> JvmMemoryConfig {
    calculate(inputs).expect("the limit is large enough")
}

fn too_small(inputs: &JvmMemoryInputs) -> TooSmall {
    calculate(inputs).expect_err("the limit is too small")
}

#[test]
fn one_gig_with_twelve_thousand_classes() {
    // Metaspace: 12000 × 5800 + 14000000 = 83600000 B = 81640.6K → 81640K.
    // Heap: 1048576 − 81640 − 245760 − 256000 − 10240 = 454936K.
    let config = calculated(&inputs(GIB, 12_000));
    assert_eq!(config.heap.bytes, 454_936 * KIB);
    assert_eq!(config.metaspace.bytes, 81_640 * KIB);
    assert_eq!(
        config.java_tool_options(),
        "-XX:MaxDirectMemorySize=10M -Xmx454936K -XX:MaxMetaspaceSize=81640K \
         -XX:ReservedCodeCacheSize=240M -Xss1M"
    );
    assert_eq!(
        config.summary(),
        "JVM Memory Configuration: -Xmx454936K -Xss1M -XX:ReservedCodeCacheSize=240M \
         -XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=81640K"
    );
}

#[test]
fn the_regions_add_up_to_no_more_than_the_limit() {
    for total in [GIB, 3 * GIB / 2 + 12_345, 7 * GIB] {
        let config = calculated(&inputs(total, 9_999));
        let sum = config.heap.bytes
            + config.metaspace.bytes
            + config.code_cache.bytes
            + config.direct_memory.bytes
            + DEFAULT_THREAD_COUNT * config.thread_stack.bytes;
        assert!(sum <= total && total - sum < KIB, "{total}: {sum}");
    }
}

#[test]
fn a_256m_container_fits_with_fewer_threads_and_a_smaller_code_cache() {
    // Metaspace: 3000 × 5800 + 14000000 = 31400000 B → 30664K.
    // Heap: 262144 − 20 × 1024 − 30664 − 32768 − 10240 = 167992K.
    let config = calculated(&JvmMemoryInputs {
        threads: 20,
        user_options: "-Dfoo=bar -XX:ReservedCodeCacheSize=32m".into(),
        ..inputs(256 * MIB, 3_000)
    });
    assert_eq!(config.heap.bytes, 167_992 * KIB);
    assert_eq!(
        config.java_tool_options(),
        "-XX:MaxDirectMemorySize=10M -Xmx167992K -XX:MaxMetaspaceSize=30664K -Xss1M"
    );
    assert_eq!(
        config.summary(),
        "JVM Memory Configuration: -Xmx167992K -Xss1M -XX:ReservedCodeCacheSize=32M \
         -XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=30664K"
    );
}

#[test]
fn the_defaults_do_not_fit_in_256m() {
    // 70312K of metaspace for 10000 classes, 582312K with the other regions,
    // 598696K with a 16M heap: 584.7M, so 585M.
    let error = too_small(&inputs(256 * MIB, 10_000));
    assert_eq!(error.needed, 585 * MIB);
    assert_eq!(error.total, 256 * MIB);
}

#[test]
fn too_small_says_the_smallest_limit_that_works() {
    let error = too_small(&inputs(64 * MIB, 10_000));
    assert_eq!(
        error.to_string(),
        "the container's memory limit 64M is too small for this JVM: it needs at least 585M \
         (heap 16M + metaspace 70312K + code cache 240M + thread stacks 250×1M + direct 10M); \
         raise the limit with -m"
    );
    assert!(calculate(&inputs(error.needed, 10_000)).is_ok());
    assert!(calculate(&inputs(error.needed - MIB, 10_000)).is_err());
}

#[test]
fn the_users_heap_is_kept_and_counted() {
    let config = calculated(&JvmMemoryInputs {
        user_options: "-Xmx1g -Xmx256m".into(),
        ..inputs(GIB, 12_000)
    });
    assert_eq!(
        config.heap,
        Region {
            bytes: 256 * MIB,
            user_set: true
        }
    );
    assert_eq!(
        config.java_tool_options(),
        "-XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=81640K \
         -XX:ReservedCodeCacheSize=240M -Xss1M"
    );
    assert!(config.summary().contains(" -Xmx256M "));
    // 512M of heap and 593640K of the rest is 1117928K, 1091.7M: 1092M.
    let error = too_small(&JvmMemoryInputs {
        user_options: "-Xmx512m".into(),
        ..inputs(GIB, 12_000)
    });
    assert_eq!(error.needed, 1_092 * MIB);
    assert!(error.to_string().contains("(heap 512M + "), "{error}");
}

#[test]
fn user_sizes_replace_every_region() {
    // Heap: 1048576 − 100 × 512 − 65536 − 131072 − 1024 = 799744K = 781M.
    let config = calculated(&JvmMemoryInputs {
        threads: 100,
        user_options: "-Xss512k -XX:MaxMetaspaceSize=64M -XX:ReservedCodeCacheSize=128m \
                       -XX:MaxDirectMemorySize=1048576"
            .into(),
        ..inputs(GIB, 12_000)
    });
    assert_eq!(config.java_tool_options(), "-Xmx781M");
    assert_eq!(
        config.summary(),
        "JVM Memory Configuration: -Xmx781M -Xss512K -XX:ReservedCodeCacheSize=128M \
         -XX:MaxDirectMemorySize=1M -XX:MaxMetaspaceSize=64M"
    );
}

#[test]
fn head_room_is_left_out_of_the_heap() {
    // 10% of 1G is 107374182 B; (1073741824 − 107374182 − 593640 × 1024) / 1024
    // = 350078.4K → 350078K.
    let config = calculated(&JvmMemoryInputs {
        head_room_percent: 10,
        ..inputs(GIB, 12_000)
    });
    assert_eq!(config.heap.bytes, 350_078 * KIB);
    // 598696K needed outside a 50% head room: 1226129408 B, 1169.3M → 1170M.
    let error = too_small(&JvmMemoryInputs {
        head_room_percent: 50,
        ..inputs(64 * MIB, 10_000)
    });
    assert_eq!(error.needed, 1_170 * MIB);
    assert!(error.to_string().contains(" + head room 50%)"), "{error}");
}

#[test]
fn an_unparsable_user_size_counts_as_unset() {
    let config = calculated(&JvmMemoryInputs {
        user_options: "-Xmxlots -Xss".into(),
        ..inputs(GIB, 12_000)
    });
    assert_eq!(config.heap.bytes, 454_936 * KIB);
    assert!(!config.thread_stack.user_set);
}

#[test]
fn sizes_parse_like_the_jvm_reads_them() {
    let cases = [
        ("512m", Some(512 * MIB)),
        ("512M", Some(512 * MIB)),
        ("1g", Some(GIB)),
        ("1024k", Some(MIB)),
        ("1t", Some(1024 * GIB)),
        ("1048576", Some(MIB)),
        ("0", Some(0)),
        ("", None),
        ("m", None),
        ("12x", None),
        ("-1m", None),
        ("1.5g", None),
        ("99999999999999999999", None),
        ("20000000000g", None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_size(text), expected, "{text:?}");
    }
}

#[test]
fn sizes_print_in_the_largest_exact_unit() {
    let cases = [
        (GIB, "1G"),
        (240 * MIB, "240M"),
        (1536 * MIB, "1536M"),
        (81_640 * KIB, "81640K"),
        (1000, "1000"),
        (0, "0"),
    ];
    for (bytes, expected) in cases {
        assert_eq!(Size(bytes).to_string(), expected);
    }
}

#[test]
fn an_image_default_code_cache_shrinks_what_a_jvm_needs() {
    // Heap: 262144 − 50 × 1024 − 70312 − 65536 − 10240 = 64856K.
    let small = JvmMemoryInputs {
        threads: 50,
        code_cache: 64 * MIB,
        ..inputs(256 * MIB, 10_000)
    };
    assert_eq!(calculated(&small).heap.bytes, 64_856 * KIB);
    // 16384K + 51200K + 70312K + 65536K + 10240K = 213672K = 208.7M → 209M.
    assert_eq!(smallest_limit(&small), 209 * MIB);
    assert!(
        calculate(&JvmMemoryInputs {
            total_memory: smallest_limit(&small),
            ..small.clone()
        })
        .is_ok()
    );
    let users = JvmMemoryInputs {
        user_options: "-XX:ReservedCodeCacheSize=240M".into(),
        ..small
    };
    assert_eq!(
        calculated(&JvmMemoryInputs {
            total_memory: GIB,
            ..users.clone()
        })
        .code_cache
        .bytes,
        240 * MIB
    );
}
