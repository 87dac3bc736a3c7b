//! Multi-row `INSERT … VALUES (?,…),(?,…)` statements: one statement for many rows, because
//! binding, stepping and resetting a statement per row cost more than SQLite spent inserting
//! the row (dedup keys, entity postings).

/// `head` (an `INSERT … VALUES ` prefix) followed by `rows` groups of `columns` placeholders.
pub(crate) fn insert_sql(head: &str, columns: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(","));
    let mut sql = String::with_capacity(head.len() + rows * (group.len() + 1));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&group);
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_of_placeholders() {
        assert_eq!(
            super::insert_sql("INSERT INTO t (a, b) VALUES ", 2, 3),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?)"
        );
        assert_eq!(super::insert_sql("X ", 1, 1), "X (?)");
    }
}
