using NpgsqlTypes;
using Npgsql;

namespace DrAssistant.Seeder.Storage;

/// <summary>
/// Where a row's values go, one typed call per column in the table's column order. The same row writer feeds a
/// binary COPY (generate) and a parameterised INSERT (demo), so the column list and the types are written once.
/// </summary>
internal interface IRowSink
{
    void Uuid(Guid value);
    void Uuid(Guid? value);
    void Text(string? value);
    void Timestamp(DateTime value);
    void Timestamp(DateTime? value);
    void Date(DateOnly value);
    void Date(DateOnly? value);
    void Integer(int value);
    void Boolean(bool value);
    void Jsonb(string? value);
    void TextArray(string[]? value);
}

/// <summary>Writes values straight into a binary COPY.</summary>
internal sealed class CopySink(NpgsqlBinaryImporter importer) : IRowSink
{
    public void Uuid(Guid value) => importer.Write(value, NpgsqlDbType.Uuid);

    public void Uuid(Guid? value)
    {
        if (value is { } v)
        {
            importer.Write(v, NpgsqlDbType.Uuid);
        }
        else
        {
            importer.WriteNull();
        }
    }

    public void Text(string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    public void Timestamp(DateTime value) => importer.Write(value, NpgsqlDbType.TimestampTz);

    public void Timestamp(DateTime? value)
    {
        if (value is { } v)
        {
            importer.Write(v, NpgsqlDbType.TimestampTz);
        }
        else
        {
            importer.WriteNull();
        }
    }

    public void Date(DateOnly value) => importer.Write(value, NpgsqlDbType.Date);

    public void Date(DateOnly? value)
    {
        if (value is { } v)
        {
            importer.Write(v, NpgsqlDbType.Date);
        }
        else
        {
            importer.WriteNull();
        }
    }

    public void Integer(int value) => importer.Write(value, NpgsqlDbType.Integer);

    public void Boolean(bool value) => importer.Write(value, NpgsqlDbType.Boolean);

    public void Jsonb(string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Jsonb);
        }
    }

    public void TextArray(string[]? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Array | NpgsqlDbType.Text);
        }
    }
}

/// <summary>Collects values as positional parameters (<c>$1</c>, <c>$2</c>, …) of one command.</summary>
internal sealed class ParameterSink(NpgsqlParameterCollection parameters) : IRowSink
{
    public void Uuid(Guid value) => Add(value, NpgsqlDbType.Uuid);

    public void Uuid(Guid? value) => AddNullable(value, NpgsqlDbType.Uuid);

    public void Text(string? value) => AddReference(value, NpgsqlDbType.Text);

    public void Timestamp(DateTime value) => Add(value, NpgsqlDbType.TimestampTz);

    public void Timestamp(DateTime? value) => AddNullable(value, NpgsqlDbType.TimestampTz);

    public void Date(DateOnly value) => Add(value, NpgsqlDbType.Date);

    public void Date(DateOnly? value) => AddNullable(value, NpgsqlDbType.Date);

    public void Integer(int value) => Add(value, NpgsqlDbType.Integer);

    public void Boolean(bool value) => Add(value, NpgsqlDbType.Boolean);

    public void Jsonb(string? value) => AddReference(value, NpgsqlDbType.Jsonb);

    public void TextArray(string[]? value) => AddReference(value, NpgsqlDbType.Array | NpgsqlDbType.Text);

    private void Add<T>(T value, NpgsqlDbType type) =>
        parameters.Add(new NpgsqlParameter<T> { TypedValue = value, NpgsqlDbType = type });

    private void AddNullable<T>(T? value, NpgsqlDbType type) where T : struct
    {
        if (value is { } v)
        {
            Add(v, type);
        }
        else
        {
            parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = type });
        }
    }

    private void AddReference<T>(T? value, NpgsqlDbType type) where T : class
    {
        if (value is null)
        {
            parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = type });
        }
        else
        {
            Add(value, type);
        }
    }
}
