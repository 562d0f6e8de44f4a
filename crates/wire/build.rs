//! Turns `TMTM_TEST_PYTHON=1` into `cfg(tmtm_test_python)`, which un-ignores the Python
//! cross-check test (`tests/python_crosscheck.rs`). No effect on the library itself.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tmtm_test_python)");
    println!("cargo::rerun-if-env-changed=TMTM_TEST_PYTHON");
    if std::env::var("TMTM_TEST_PYTHON").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=tmtm_test_python");
    }
}
