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
using DrAssistant.MigrationService.Postgres.Migrations;
using FluentMigrator.Runner.Conventions;
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
/// The migrations compiled into this build. Their SQL is produced exactly as FluentMigrator's runner would produce it
/// (same expressions, same conventions, same generator), but by a processor that records statements instead of
/// executing them, so nothing here touches a database.
/// <para>
/// FluentMigrator lives in a service provider of its own, apart from the host's: the SQL can then be generated in the
/// background while the host is still being built, and the host's container is spared FluentMigrator's many
/// registrations. Generating it costs a cold process tens of milliseconds, so it is done only when needed (see
/// <see cref="BuildChecksums"/>).
/// </para>
/// </summary>
public sealed partial class MigrationCatalog : IDisposable
{
    private readonly Lazy<ServiceProvider> _services;
    private readonly Lazy<SortedList<long, CodeMigration>> _migrations;
    private readonly Lock _gate = new();
    private Task? _loading;

    /// <summary>Costs nothing until the SQL is asked for.</summary>
    /// <param name="schema">Where the tables live (FluentMigrator's conventions qualify every name with it).</param>
    /// <param name="connectionString">Only for FluentMigrator's migration context; never opened.</param>
    public MigrationCatalog(string schema, string? connectionString)
    {
        _services = new(() => new ServiceCollection()
            // FluentMigrator's services want loggers; generating SQL says nothing worth keeping.
            .AddLogging()
            // For VersionTable, which FluentMigrator finds by its attribute and builds from this provider.
            .AddSingleton(Options.Create(new MigratorOptions { Schema = schema }))
            .AddFluentMigratorCore()
            .ConfigureRunner(runner => runner
                .AddPostgres()
                .WithGlobalConnectionString(connectionString ?? "Host=unconfigured")
                .ScanIn(typeof(M001_InitialSchema).Assembly).For.All())
            .Configure<RunnerOptions>(options => options.TransactionPerSession = false)
            .AddSingleton<IConventionSet>(new DefaultConventionSet(schema, workingDirectory: null))
            .BuildServiceProvider());
        _migrations = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public SortedList<long, CodeMigration> Migrations => _migrations.Value;

    public long Latest => Migrations.Count == 0 ? 0 : Migrations.Keys[^1];

    /// <summary>How long generating the SQL took, once it is generated.</summary>
    public double? GenerationMs { get; private set; }

    /// <summary>Every migration's version, description and checksum, in order.</summary>
    public IReadOnlyList<CodeVersion> Versions => field ??= [.. Migrations.Values.Select(m => new CodeVersion(m.Version, m.Description, m.Checksum))];

    /// <summary>Generates the SQL in the background, once; the task completes when it is there.</summary>
    public Task LoadAsync()
    {
        lock (_gate)
        {
            return _loading ??= Task.Run(() => _ = Migrations);
        }
    }

    public void Dispose()
    {
        if (_services.IsValueCreated)
        {
            _services.Value.Dispose();
        }
    }

    /// <summary>SHA-256 of the statements with whitespace normalised, so reformatting code does not count as a change.</summary>
    public static string Checksum(IEnumerable<string> statements)
    {
        var normalised = string.Join(";\n", statements.Select(s => Whitespace().Replace(s, " ").Trim().TrimEnd(';')));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    private SortedList<long, CodeMigration> Load()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var services = _services.Value;
        var result = new SortedList<long, CodeMigration>();
        foreach (var (version, info) in services.GetRequiredService<IMigrationInformationLoader>().LoadMigrations())
        {
            var up = Capture(info.Migration, (m, c) => m.GetUpExpressions(c));
            result[version] = new CodeMigration(version, info.Description ?? info.GetName(), up, Checksum(up))
            {
                Info = info,
                DownLoader = new(() => Capture(info.Migration, (m, c) => m.GetDownExpressions(c))),
            };
        }

        GenerationMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
        return result;
    }

    private List<string> Capture(IMigration migration, Action<IMigration, IMigrationContext> collect)
    {
        var services = _services.Value;
        using var processor = ActivatorUtilities.CreateInstance<SqlCaptureProcessor>(services);
        var context = new MigrationContext(processor, services, services.GetRequiredService<IConnectionStringAccessor>().ConnectionString);
        collect(migration, context);
        services.GetRequiredService<MigrationValidator>().ApplyConventionsToAndValidateExpressions(migration, context.Expressions);
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
