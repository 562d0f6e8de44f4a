//! `tmtm-consensus`: the Sirius simple-consensus state machines, sans-IO.
