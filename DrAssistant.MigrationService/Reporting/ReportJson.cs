using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DrAssistant.MigrationService.Mongo;

namespace DrAssistant.MigrationService.Reporting;

/// <summary>
/// Writes a <see cref="RunReport"/> as indented JSON: camelCase names in declaration order, kebab-case enum values
/// (<c>applied-now</c>), nulls left out, '+' and quotes readable (a report is read by people and tools, not embedded in
/// HTML) — what <c>JsonSerializer</c> writes with those options, as a test checks.
/// <para>
/// Written by hand because a cold process pays for the serializer: reflection-based or source-generated, it compiles
/// hundreds of generic methods at first use (about 100 ms of a run that has nothing to do); these plain calls are
/// compiled ahead of time with the rest of the tool.
/// </para>
/// </summary>
public static class ReportJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(RunReport report)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("tool", report.Tool);
            json.WriteString("command", report.Command);
            String(json, "database", report.Database);
            Number(json, "lockWaitMs", report.LockWaitMs);
            json.WriteNumber("durationMs", report.DurationMs);
            json.WriteStartObject("phasesMs");
            foreach (var (phase, ms) in report.PhasesMs)
            {
                json.WriteNumber(phase, ms);
            }

            json.WriteEndObject();
            Postgres(json, report.Postgres);
            if (report.Mongo is { } mongo)
            {
                Mongo(json, mongo);
            }

            json.WriteString("status", Kebab(report.Status));
            json.WriteNumber("exitCode", report.ExitCode);
            String(json, "error", report.Error);
            Strings(json, "problems", report.Problems);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Postgres(Utf8JsonWriter json, PostgresReport postgres)
    {
        json.WriteStartObject("postgres");
        json.WriteString("schema", postgres.Schema);
        json.WriteNumber("currentVersion", postgres.CurrentVersion);
        json.WriteNumber("latestVersion", postgres.LatestVersion);
        if (postgres.Checksums is { } checksums)
        {
            json.WriteString("checksums", Kebab(checksums));
        }

        json.WriteStartArray("bookkeeping");
        foreach (var item in postgres.Bookkeeping)
        {
            json.WriteStartObject();
            json.WriteString("object", item.Object);
            json.WriteString("state", Kebab(item.State));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("versions");
        foreach (var version in postgres.Versions)
        {
            json.WriteStartObject();
            json.WriteNumber("version", version.Version);
            json.WriteString("description", version.Description);
            json.WriteString("state", Kebab(version.State));
            json.WriteString("checksum", Kebab(version.Checksum));
            String(json, "codeChecksum", version.CodeChecksum);
            String(json, "recordedChecksum", version.RecordedChecksum);
            Instant(json, "appliedAt", version.AppliedAt);
            String(json, "appliedBy", version.AppliedBy);
            Number(json, "durationMs", version.DurationMs);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Mongo(Utf8JsonWriter json, MongoReport mongo)
    {
        json.WriteStartObject("mongo");
        json.WriteString("status", Kebab(mongo.Status));
        String(json, "database", mongo.Database);
        Number(json, "leaseWaitMs", mongo.LeaseWaitMs);
        String(json, "leaseHolder", mongo.LeaseHolder);
        if (mongo.Steps is { } steps)
        {
            json.WriteStartArray("steps");
            foreach (var step in steps)
            {
                json.WriteStartObject();
                json.WriteNumber("step", step.Step);
                json.WriteString("description", step.Description);
                json.WriteString("state", Kebab(step.State));
                json.WriteString("checksum", Kebab(step.Checksum));
                String(json, "codeChecksum", step.CodeChecksum);
                String(json, "recordedChecksum", step.RecordedChecksum);
                Instant(json, "appliedAt", step.AppliedAt);
                String(json, "appliedBy", step.AppliedBy);
                String(json, "toolVersion", step.ToolVersion);
                Number(json, "durationMs", step.DurationMs);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        Actions(json, "actions", mongo.Actions);
        Actions(json, "pendingActions", mongo.PendingActions);
        if (mongo.Drift is { } drift)
        {
            json.WriteStartArray("drift");
            foreach (var item in drift)
            {
                json.WriteStartObject();
                json.WriteString("kind", Kebab(item.Kind));
                json.WriteString("collection", item.Collection);
                String(json, "index", item.Index);
                json.WriteString("message", item.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        Strings(json, "extraIndexes", mongo.ExtraIndexes);
        Strings(json, "retiredIndexes", mongo.RetiredIndexes);
        Strings(json, "problems", mongo.Problems);
        String(json, "error", mongo.Error);
        json.WriteEndObject();
    }

    private static void Actions(Utf8JsonWriter json, string name, List<MongoAction>? actions)
    {
        if (actions is null)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var action in actions)
        {
            json.WriteStartObject();
            json.WriteString("kind", Kebab(action.Kind));
            json.WriteString("collection", action.Collection);
            String(json, "index", action.Index);
            json.WriteString("description", action.Description);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter json, string name, List<string>? values)
    {
        if (values is null)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void String(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void Instant(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } instant)
        {
            json.WriteString(name, instant);
        }
    }

    private static string Kebab(Enum value) => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
