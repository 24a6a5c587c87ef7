using Dapper;
using Npgsql;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>What the PostgreSQL catalog says about the public schema, read from pg_catalog.</summary>
internal static class Catalog
{
    public static readonly string[] SpecTables =
        ["users", "patients", "appointments", "encounters", "prescriptions", "prescription_items", "orders", "order_items", "tasks", "alerts"];

    public sealed record Column(string Table, string Name, string Type, bool NotNull, string? Default, string? Comment);

    public sealed record Constraint(string Table, string Name, char Type, string Definition);

    public sealed record Index(string Table, string Name, string Definition);

    public static async Task<List<Column>> ColumnsAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<Column>("""
            SELECT c.relname AS "Table", a.attname AS "Name", format_type(a.atttypid, a.atttypmod) AS "Type",
                   a.attnotnull AS "NotNull", pg_get_expr(d.adbin, d.adrelid) AS "Default",
                   col_description(c.oid, a.attnum) AS "Comment"
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """)).ToList();

    public static async Task<List<Constraint>> ConstraintsAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<Constraint>("""
            SELECT c.relname AS "Table", k.conname AS "Name", k.contype AS "Type", pg_get_constraintdef(k.oid) AS "Definition"
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public'
            ORDER BY 1, 2
            """)).ToList();

    public static async Task<List<Index>> IndexesAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<Index>("""
            SELECT tablename AS "Table", indexname AS "Name", indexdef AS "Definition"
            FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2
            """)).ToList();

    public static async Task<List<(string Table, string Name, string Definition)>> TriggersAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<(string, string, string)>("""
            SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND NOT t.tgisinternal
            ORDER BY 1, 2
            """)).ToList();

    public static async Task<Dictionary<string, string?>> TableCommentsAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<(string, string?)>("""
            SELECT c.relname, obj_description(c.oid, 'pg_class')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
            """)).ToDictionary(r => r.Item1, r => r.Item2);

    /// <summary>Everything above as sorted lines, to compare two databases' schemas as a whole.</summary>
    public static async Task<List<string>> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var lines = new List<string>();
        lines.AddRange((await ColumnsAsync(connection)).Select(c => $"column {c}"));
        lines.AddRange((await ConstraintsAsync(connection)).Select(c => $"constraint {c}"));
        lines.AddRange((await IndexesAsync(connection)).Select(i => $"index {i}"));
        lines.AddRange((await TriggersAsync(connection)).Select(t => $"trigger {t}"));
        lines.AddRange((await TableCommentsAsync(connection)).Select(t => $"comment {t.Key} {t.Value}"));
        lines.AddRange(await connection.QueryAsync<string>("""
            SELECT 'function ' || p.proname || ' ' || pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
            """));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
