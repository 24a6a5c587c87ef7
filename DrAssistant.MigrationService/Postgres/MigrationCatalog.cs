using System.Data;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FluentMigrator;
using FluentMigrator.Expressions;
using FluentMigrator.Infrastructure;
using FluentMigrator.Runner;
using FluentMigrator.Runner.Generators.Postgres;
using FluentMigrator.Runner.Initialization;
using FluentMigrator.Runner.Processors;
using FluentMigrator.Runner.Processors.Postgres;
using Microsoft.Extensions.Options;

namespace DrAssistant.MigrationService.Postgres;

/// <summary>One migration of this build, with the SQL it runs (as FluentMigrator generates it) and its checksum.</summary>
public sealed record CodeMigration(long Version, string Description, IReadOnlyList<string> UpSql, string Checksum)
{
    public IMigrationInfo Info { get; init; } = null!;

    /// <summary>The Down SQL, generated only when a rollback or a script needs it.</summary>
    public IReadOnlyList<string> DownSql => DownLoader.Value;

    internal Lazy<IReadOnlyList<string>> DownLoader { get; init; } = new(() => []);
}

/// <summary>
/// The migrations compiled into this build. Their SQL is produced exactly as a run would produce it (same expressions,
/// same conventions, same generator), but by a processor that records statements instead of executing them, so
/// nothing here touches a database.
/// </summary>
public sealed partial class MigrationCatalog(
    IMigrationInformationLoader loader,
    IServiceProvider services,
    MigrationValidator validator,
    IConnectionStringAccessor connectionString)
{
    private SortedList<long, CodeMigration>? _migrations;

    public SortedList<long, CodeMigration> Migrations => _migrations ??= Load();

    public long Latest => Migrations.Count == 0 ? 0 : Migrations.Keys[^1];

    /// <summary>Every migration's version, description and checksum, in order.</summary>
    public IReadOnlyList<CodeVersion> Versions => [.. Migrations.Values.Select(m => new CodeVersion(m.Version, m.Description, m.Checksum))];

    /// <summary>SHA-256 of the statements with whitespace normalised, so reformatting code does not count as a change.</summary>
    public static string Checksum(IEnumerable<string> statements)
    {
        var normalised = string.Join(";\n", statements.Select(s => Whitespace().Replace(s, " ").Trim().TrimEnd(';')));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    private SortedList<long, CodeMigration> Load()
    {
        var result = new SortedList<long, CodeMigration>();
        foreach (var (version, info) in loader.LoadMigrations())
        {
            var up = Capture(info.Migration, (m, c) => m.GetUpExpressions(c));
            result[version] = new CodeMigration(version, info.Description ?? info.GetName(), up, Checksum(up))
            {
                Info = info,
                DownLoader = new(() => Capture(info.Migration, (m, c) => m.GetDownExpressions(c))),
            };
        }

        return result;
    }

    private List<string> Capture(IMigration migration, Action<IMigration, IMigrationContext> collect)
    {
        using var processor = ActivatorUtilities.CreateInstance<SqlCaptureProcessor>(services);
        var context = new MigrationContext(processor, services, connectionString.ConnectionString);
        collect(migration, context);
        validator.ApplyConventionsToAndValidateExpressions(migration, context.Expressions);
        foreach (var expression in context.Expressions)
        {
            expression.ExecuteWith(processor);
        }

        return processor.Statements;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>
/// The PostgreSQL processor, but statements are recorded instead of executed and no connection is ever opened.
/// Being a <see cref="PostgresProcessor"/>, it answers <c>IfDatabase(PostgreSQL)</c> exactly as the real one does.
/// </summary>
internal sealed class SqlCaptureProcessor(
    PostgresDbFactory factory,
    PostgresGenerator generator,
    ILogger<PostgresProcessor> logger,
    IOptionsSnapshot<ProcessorOptions> options,
    IConnectionStringAccessor connectionStringAccessor,
    PostgresOptions postgresOptions)
    : PostgresProcessor(factory, generator, logger, options, connectionStringAccessor, postgresOptions)
{
    public List<string> Statements { get; } = [];

    public override void BeginTransaction()
    {
    }

    public override void CommitTransaction()
    {
    }

    public override void RollbackTransaction()
    {
    }

    public override void Process(PerformDBOperationExpression expression) =>
        throw new NotSupportedException("Migrations must be expressions or SQL, so they can be scripted and checksummed.");

    public override DataSet Read(string template, params object[] args) => throw NotReadable();

    public override bool Exists(string template, params object[] args) => throw NotReadable();

    protected override void Process(string sql)
    {
        if (!string.IsNullOrWhiteSpace(sql))
        {
            Statements.Add(sql.Trim());
        }
    }

    private static NotSupportedException NotReadable() =>
        new("Migrations must not read the database to decide their SQL, so that a script shows exactly what runs.");
}
