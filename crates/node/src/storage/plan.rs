//! [`WritePlan`]: the writes of one unit of work as data — statements with their bound values
//! and what each must produce — built once (by the `Tx` write methods and the consensus
//! driver) and run by either executor: [`Tx::run`] over sqlx (PostgreSQL, SQLite in memory)
//! or the dedicated SQLite writer thread (`sqlite_writer.rs`), which runs a whole plan in one
//! hand-off instead of one per statement. The SQL is therefore written once for both.

use super::{StorageError, Tx};

/// A value bound to a statement's next `$N` placeholder.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    /// The value an earlier statement of the same plan stored in this slot.
    Slot(usize),
}

/// What a statement must produce.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// Nothing; the statement only has to succeed.
    Exec,
    /// Its number of changed rows goes into the slot.
    Count(usize),
    /// It must change at least one row, else [`StorageError::NotFound`] with this text.
    MustChange(String),
    /// It returns at most one integer (`RETURNING id`), kept in the slot; no row is a
    /// [`StorageError::Conflict`] with this text.
    ReturnOne { slot: usize, missing: String },
    /// It returns integers (`RETURNING id`), appended to [`PlanOutput::ids`] in ascending
    /// order (both backends assign ids in the order of the `VALUES` rows).
    ReturnIds,
}

/// One statement of a plan.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
    pub outcome: Outcome,
}

/// The statements of one unit of work, run in order inside one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WritePlan {
    pub(crate) statements: Vec<Statement>,
    slots: usize,
}

/// What running a [`WritePlan`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOutput {
    /// The ids of every [`Outcome::ReturnIds`] statement, in statement order.
    pub ids: Vec<i64>,
    pub(crate) slots: Vec<i64>,
}

impl PlanOutput {
    /// The value a statement stored in `slot` (0 if none did: the plan was cut short).
    pub(crate) fn slot(&self, slot: usize) -> i64 {
        self.slots.get(slot).copied().unwrap_or_default()
    }
}

impl WritePlan {
    /// An empty plan.
    pub fn new() -> WritePlan {
        WritePlan::default()
    }

    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Reserves a slot for a value a statement produces.
    pub(crate) fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// Appends a statement.
    pub(crate) fn push(&mut self, sql: String, args: Vec<Arg>, outcome: Outcome) {
        self.statements.push(Statement { sql, args, outcome });
    }

    /// `{head} VALUES ($1, …), (…) {tail}` for `rows` of `N` values each: one statement per
    /// chunk of rows (`multirow.rs`), each with `outcome`.
    pub(crate) fn push_rows<const N: usize>(
        &mut self,
        head: &str,
        tail: &str,
        rows: Vec<[Arg; N]>,
        outcome: &Outcome,
    ) {
        // The rows are moved into the statements, not copied (a round's row can be large).
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<[Arg; N]> = rows.by_ref().take(super::multirow::chunk_rows(N)).collect();
            let sql = format!(
                "{head} VALUES {} {tail}",
                super::multirow::values(chunk.len(), N)
            );
            self.push(sql, chunk.into_iter().flatten().collect(), outcome.clone());
        }
    }

    /// `{head} ($1, $2, …)` for `values` (a `DELETE … WHERE x IN`): one statement per chunk.
    pub(crate) fn push_in_list(&mut self, head: &str, values: Vec<Arg>) {
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Arg> = values
                .by_ref()
                .take(super::multirow::chunk_rows(1))
                .collect();
            let sql = format!("{head} ({})", super::multirow::list(chunk.len()));
            self.push(sql, chunk, Outcome::Exec);
        }
    }
}

/// The value of `arg`, with slots resolved against the values produced so far.
pub(crate) fn resolve<'a>(arg: &'a Arg, slots: &[i64]) -> Resolved<'a> {
    match arg {
        Arg::Int(v) => Resolved::Int(*v),
        Arg::Text(v) => Resolved::Text(v),
        Arg::Blob(v) => Resolved::Blob(v),
        Arg::Slot(s) => Resolved::Int(slots.get(*s).copied().unwrap_or_default()),
    }
}

/// A bound value ready for a driver.
pub(crate) enum Resolved<'a> {
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Binds every argument of `$st` to the sqlx query `$q`, in order.
macro_rules! bind_args {
    ($q:ident, $st:expr, $slots:expr) => {
        for a in &$st.args {
            $q = match resolve(a, $slots) {
                Resolved::Int(v) => $q.bind(v),
                Resolved::Text(v) => $q.bind(v),
                Resolved::Blob(v) => $q.bind(v),
            };
        }
    };
}

impl Tx {
    /// Runs `plan` inside this unit over sqlx, one statement after another. On an error the
    /// unit must be dropped (see [`Tx`]).
    pub(crate) async fn run(&mut self, plan: WritePlan) -> Result<PlanOutput, StorageError> {
        let mut out = PlanOutput {
            ids: Vec::new(),
            slots: vec![0; plan.slots()],
        };
        for st in &plan.statements {
            super::tx::on_tx!(self, |conn| {
                match &st.outcome {
                    Outcome::ReturnOne { slot, missing } => {
                        let mut q = sqlx::query_scalar::<_, i64>(&st.sql);
                        bind_args!(q, st, &out.slots);
                        match q.fetch_optional(&mut *conn).await? {
                            Some(v) => set_slot(&mut out.slots, *slot, v),
                            None => return Err(StorageError::Conflict(missing.clone())),
                        }
                    }
                    Outcome::ReturnIds => {
                        let mut q = sqlx::query_scalar::<_, i64>(&st.sql);
                        bind_args!(q, st, &out.slots);
                        let mut ids = q.fetch_all(&mut *conn).await?;
                        ids.sort_unstable();
                        out.ids.extend(ids);
                    }
                    Outcome::Exec | Outcome::Count(_) | Outcome::MustChange(_) => {
                        let mut q = sqlx::query(&st.sql);
                        bind_args!(q, st, &out.slots);
                        let changed = q.execute(&mut *conn).await?.rows_affected();
                        changed_rows(&st.outcome, changed, &mut out.slots)?;
                    }
                }
            });
        }
        Ok(out)
    }
}

/// Applies a plain statement's changed-row count to its outcome (both executors).
pub(crate) fn changed_rows(
    outcome: &Outcome,
    changed: u64,
    slots: &mut [i64],
) -> Result<(), StorageError> {
    match outcome {
        Outcome::Count(slot) => set_slot(slots, *slot, i64::try_from(changed).unwrap_or(i64::MAX)),
        Outcome::MustChange(missing) if changed == 0 => {
            return Err(StorageError::NotFound(missing.clone()))
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn set_slot(slots: &mut [i64], slot: usize, value: i64) {
    if let Some(s) = slots.get_mut(slot) {
        *s = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_resolve_to_values_produced_earlier() {
        let mut plan = WritePlan::new();
        assert!(plan.is_empty());
        let a = plan.slot();
        let b = plan.slot();
        assert_eq!((a, b, plan.slots()), (0, 1, 2));
        let slots = [7, 9];
        assert!(matches!(resolve(&Arg::Slot(b), &slots), Resolved::Int(9)));
        assert!(matches!(resolve(&Arg::Slot(5), &slots), Resolved::Int(0)));
        assert!(matches!(
            resolve(&Arg::Text("x".into()), &slots),
            Resolved::Text("x")
        ));
    }

    #[test]
    fn rows_and_lists_become_one_statement_per_chunk() {
        let mut plan = WritePlan::new();
        let rows: Vec<[Arg; 2]> = (0..500)
            .map(|i| [Arg::Int(i), Arg::Text(format!("r{i}"))])
            .collect();
        plan.push_rows(
            "INSERT INTO t (a, b)",
            "ON CONFLICT DO NOTHING",
            rows,
            &Outcome::Exec,
        );
        plan.push_in_list("DELETE FROM t WHERE a IN", vec![Arg::Int(1), Arg::Int(2)]);
        plan.push_rows::<2>("INSERT INTO t (a, b)", "", Vec::new(), &Outcome::Exec);
        assert_eq!(plan.statements.len(), 3, "480 + 20 rows, then the list");
        let first = &plan.statements[0];
        assert!(first
            .sql
            .starts_with("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"));
        assert!(first.sql.ends_with("($959, $960) ON CONFLICT DO NOTHING"));
        assert_eq!(first.args.len(), 960);
        assert_eq!(first.args[1], Arg::Text("r0".into()));
        assert_eq!(plan.statements[1].args.len(), 40);
        assert_eq!(plan.statements[2].sql, "DELETE FROM t WHERE a IN ($1, $2)");
    }

    #[test]
    fn changed_rows_fill_counts_and_refuse_missing_rows() {
        let mut slots = [0, 0];
        changed_rows(&Outcome::Count(1), 3, &mut slots).unwrap();
        assert_eq!(slots, [0, 3]);
        changed_rows(&Outcome::Exec, 0, &mut slots).unwrap();
        changed_rows(&Outcome::MustChange("ledger \"x\"".into()), 1, &mut slots).unwrap();
        let err =
            changed_rows(&Outcome::MustChange("ledger \"x\"".into()), 0, &mut slots).unwrap_err();
        assert!(matches!(err, StorageError::NotFound(m) if m == "ledger \"x\""));
    }
}
