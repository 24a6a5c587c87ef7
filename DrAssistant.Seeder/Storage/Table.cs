using Npgsql;

namespace DrAssistant.Seeder.Storage;

/// <summary>
/// One table as the seeder writes it: its name, the explicit column list, and how a row becomes values in that
/// order. From these come the binary COPY (generate) and the idempotent INSERT … ON CONFLICT (id) DO NOTHING (demo).
/// </summary>
internal sealed class Table<TRow>
{
    private readonly Action<IRowSink, TRow> _write;

    public Table(string name, string columns, Action<IRowSink, TRow> write)
    {
        Name = name;
        Columns = columns.ReplaceLineEndings(" ");
        _write = write;
        ColumnCount = Columns.Split(',').Length;
        var placeholders = string.Join(", ", Enumerable.Range(1, ColumnCount).Select(i => $"${i}"));
        CopyCommand = $"COPY {name} ({Columns}) FROM STDIN (FORMAT BINARY)";
        // Conflicts on the primary key only: the same seed writes the same ids, so a second run inserts nothing;
        // a clash on any other unique column (a hand-made user, an MRN in use) is an error, not a silent skip.
        InsertCommand = $"INSERT INTO {name} ({Columns}) VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING";
    }

    public string Name { get; }

    public string Columns { get; }

    public int ColumnCount { get; }

    /// <summary>Hands one row's values, in column order, to <paramref name="sink"/>.</summary>
    public void Write(IRowSink sink, TRow row) => _write(sink, row);

    public string CopyCommand { get; }

    public string InsertCommand { get; }

    /// <summary>Writes every row with binary COPY on an open connection; returns the number of rows.</summary>
    public long Copy(NpgsqlConnection connection, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        using var importer = connection.BeginBinaryImport(CopyCommand);
        var sink = new CopySink(importer);
        for (var i = 0; i < rows.Count; i++)
        {
            if ((i & 0x3FFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            importer.StartRow();
            _write(sink, rows[i]);
        }

        return (long)importer.Complete();
    }

    /// <summary>Inserts the rows that are not there yet (by id), in batches; returns how many were new.</summary>
    public async Task<int> InsertMissingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
    {
        const int perBatch = 200;
        var inserted = 0;
        for (var start = 0; start < rows.Count; start += perBatch)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var row in rows.Skip(start).Take(perBatch))
            {
                var command = new NpgsqlBatchCommand(InsertCommand);
                _write(new ParameterSink(command.Parameters), row);
                if (command.Parameters.Count != ColumnCount)
                {
                    throw new InvalidOperationException($"{Name}: the row writer gave {command.Parameters.Count} values for {ColumnCount} columns.");
                }

                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
            foreach (var command in batch.BatchCommands)
            {
                inserted += command.RecordsAffected;
            }
        }

        return inserted;
    }
}
