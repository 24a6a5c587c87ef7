using System.Data;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace DrAssistant.Api.Infrastructure;

/// <summary>Dapper's few settings for this schema: snake_case columns, jsonb documents as <see cref="JsonElement"/>.</summary>
public static class Db
{
    private static int _configured;

    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return;
        }

        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new JsonElementHandler());
        SqlMapper.AddTypeHandler(new DateOnlyHandler());
        SqlMapper.AddTypeHandler(new TextArrayHandler());
        SqlMapper.AddTypeHandler(new JsonColumnHandler<Prescriptions.PrescriptionItem[]>());
        SqlMapper.AddTypeHandler(new JsonColumnHandler<Orders.OrderItem[]>());
    }

    /// <summary>jsonb in and out as a JSON value, so documents (address, preferences) pass through untouched.</summary>
    private sealed class JsonElementHandler : SqlMapper.TypeHandler<JsonElement>
    {
        public override void SetValue(IDbDataParameter parameter, JsonElement value)
        {
            parameter.Value = value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? DBNull.Value : value.GetRawText();
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Jsonb;
        }

        public override JsonElement Parse(object value) => JsonDocument.Parse((string)value).RootElement.Clone();
    }

    /// <summary>text[] as string[]: Npgsql reports arrays as <see cref="Array"/>, which Dapper will not map to a record.</summary>
    private sealed class TextArrayHandler : SqlMapper.TypeHandler<string[]>
    {
        public override void SetValue(IDbDataParameter parameter, string[]? value)
        {
            parameter.Value = value ?? (object)DBNull.Value;
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text;
        }

        public override string[]? Parse(object value) => (string[])value;
    }

    private sealed class DateOnlyHandler : SqlMapper.TypeHandler<DateOnly>
    {
        public override void SetValue(IDbDataParameter parameter, DateOnly value)
        {
            parameter.Value = value;
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Date;
        }

        public override DateOnly Parse(object value) => value switch
        {
            DateOnly date => date,
            DateTime dateTime => DateOnly.FromDateTime(dateTime),
            _ => throw new DataException($"Cannot read {value.GetType()} as a date."),
        };
    }
}

/// <summary>A column built with json_agg in SQL (an aggregate's children), read straight into records.</summary>
public sealed class JsonColumnHandler<T> : SqlMapper.TypeHandler<T>
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public override void SetValue(IDbDataParameter parameter, T? value) =>
        throw new NotSupportedException("JSON columns are read-only here.");

    public override T? Parse(object value) => JsonSerializer.Deserialize<T>((string)value, Options);
}
