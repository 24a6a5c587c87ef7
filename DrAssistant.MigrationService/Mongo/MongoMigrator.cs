using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Driver;
using DrAssistant.MigrationService.Reporting;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// Brings a MongoDB database to the declared state, step by step, under a lease. <see cref="MigrateAsync"/> applies
/// each pending step (reconciling its collections, validators and indexes), records it in <c>_migrations</c>, then
/// repairs anything of the declared state that went missing since; <see cref="InfoAsync"/> reports the same without
/// writing; <see cref="Script"/> prints the commands. Differences it does not repair (they would need a drop) are
/// reported as drift. Expected failures (no server, lease timeout, edited step) are reports, not exceptions.
/// </summary>
public sealed class MongoMigrator(
    IMongoDatabase database,
    MongoMigratorOptions options,
    string appliedBy,
    ILogger<MongoMigrator> logger,
    IReadOnlyList<MongoStep>? steps = null)
{
    public const string HistoryCollectionName = Shared.SchemaVersions.MongoHistoryCollection;

    /// <summary>Server error codes met while reconciling.</summary>
    private const int NamespaceExists = 48, CannotCreateIndex = 67, IndexAlreadyExists = 68, IndexOptionsConflict = 85, IndexKeySpecsConflict = 86;

    private readonly IReadOnlyList<MongoStep> _steps = steps ?? MongoSteps.All;

    /// <summary>What all the steps together declare: the state every run converges to.</summary>
    private readonly IReadOnlyList<CollectionSpec> _declared = MongoSteps.Cumulative(steps ?? MongoSteps.All);

    private readonly IMongoCollection<BsonDocument> _history = database.GetCollection<BsonDocument>(HistoryCollectionName);

    public string DatabaseName => database.DatabaseNamespace.DatabaseName;

    public async Task<MongoReport> MigrateAsync(bool acceptChanges = false, CancellationToken cancellationToken = default)
    {
        var report = MongoReport.ForMigrate(DatabaseName);
        try
        {
            MongoLease? lease;
            using (Telemetry.Source.StartActivity("wait for mongo lease"))
            {
                lease = await MongoLease.AcquireAsync(database, NewOwner(), options, logger, cancellationToken);
            }

            if (lease is null)
            {
                report.Status = MongoStatus.LockTimeout;
                report.Error = $"Another migrator held the MongoDB migration lease for longer than {options.LockTimeout}.";
                return report;
            }

            await using (lease)
            {
                report.LeaseWaitMs = Math.Round(lease.Waited.TotalMilliseconds, 1);
                await MigrateUnderLeaseAsync(lease, acceptChanges, report, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or MongoLeaseLostException)
        {
            Fail(report, ex);
        }

        return report;
    }

    /// <summary>Applied and pending steps, what <c>migrate</c> would do, and drift. Reads only.</summary>
    public async Task<MongoReport> InfoAsync(CancellationToken cancellationToken = default)
    {
        var report = MongoReport.ForInfo(DatabaseName);
        try
        {
            Compare(await ReadHistoryAsync(cancellationToken), report);
            var plan = MongoPlanner.Plan(_declared, await ReadStateAsync(_declared, cancellationToken));
            report.PendingActions!.AddRange(plan.Actions);
            report.Drift!.AddRange(plan.Drift);
            report.ExtraIndexes!.AddRange(plan.ExtraIndexes);
            report.RetiredIndexes!.AddRange(plan.RetiredIndexes);
            report.Problems!.AddRange(Problems(report));
            report.LeaseHolder = await MongoLease.DescribeHolderAsync(database, cancellationToken);
            report.Status = report.Problems.Count > 0 ? MongoStatus.ValidationFailed
                : report.Drift.Count > 0 ? MongoStatus.Drift
                : report.PendingActions.Count > 0 || report.Steps!.Any(s => s.State == VersionState.Pending) ? MongoStatus.Pending
                : MongoStatus.UpToDate;
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            Fail(report, ex);
        }

        return report;
    }

    /// <summary>The commands a fresh database would get, one JSON document a line; executes nothing.</summary>
    public string Script() => MongoScript.Render(DatabaseName, _steps, appliedBy);

    private async Task MigrateUnderLeaseAsync(MongoLease lease, bool acceptChanges, MongoReport report, CancellationToken cancellationToken)
    {
        Compare(await ReadHistoryAsync(cancellationToken), report);
        var problems = Problems(report);
        if (problems.Count > 0 && !acceptChanges)
        {
            report.Problems!.AddRange(problems);
            report.Status = MongoStatus.ValidationFailed;
            report.Error = "Applied MongoDB steps do not match this build. Restore them, or rerun with --accept-changes to record the change.";
            foreach (var problem in problems)
            {
                logger.LogError("{Problem}", problem);
            }

            return;
        }

        foreach (var problem in problems)
        {
            logger.LogWarning("Accepted: {Problem}", problem);
        }

        var appliedNow = 0;
        foreach (var step in _steps)
        {
            var stepReport = report.Steps!.Single(s => s.Step == step.Number);
            if (stepReport.State == VersionState.Pending)
            {
                await ApplyAsync(step, stepReport, lease, report, cancellationToken);
                appliedNow++;
            }
            else if (stepReport.Checksum == ChecksumStatus.Changed)
            {
                // Accepted: the step's new declared state is reconciled and its checksum recorded.
                await ReconcileAsync(MongoSteps.WithoutRetired(step.Collections, _declared), lease, report, cancellationToken);
                lease.EnsureHeld();
                await _history.UpdateOneAsync(
                    Builders<BsonDocument>.Filter.Eq("_id", step.Number),
                    Builders<BsonDocument>.Update.Pipeline(MongoScript.AcceptChecksumPipeline(step, appliedBy)),
                    cancellationToken: cancellationToken);
                stepReport.Checksum = ChecksumStatus.Accepted;
                stepReport.RecordedChecksum = step.Checksum;
                logger.LogWarning("Accepted the edited MongoDB step {Step}: its checksum is now {Checksum}.", step.Number, step.Checksum);
            }
        }

        // What the applied steps declared may have gone missing since (an index dropped by hand): put it back.
        await ReconcileAsync(_declared, lease, report, cancellationToken, listExtraIndexes: true);

        report.Status = report.Drift!.Count > 0 ? MongoStatus.Drift
            : appliedNow > 0 || report.Actions!.Count > 0 ? MongoStatus.Applied
            : MongoStatus.UpToDate;
        if (report.Status == MongoStatus.UpToDate)
        {
            logger.LogInformation("MongoDB {Database} is up to date at step {Step}; nothing to do.", DatabaseName, _steps[^1].Number);
        }

        foreach (var drift in report.Drift)
        {
            logger.LogWarning("MongoDB drift: {Message}", drift.Message);
        }
    }

    private async Task ApplyAsync(MongoStep step, MongoStepReport stepReport, MongoLease lease, MongoReport report, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity($"mongo step {step.Number}");
        activity?.SetTag("db.migration.version", step.Number);
        activity?.SetTag("db.migration.description", step.Description);
        logger.LogInformation("Applying MongoDB step {Step}: {Description}", step.Number, step.Description);

        var clock = Stopwatch.StartNew();
        var done = await ReconcileAsync(MongoSteps.WithoutRetired(step.Collections, _declared), lease, report, cancellationToken);
        clock.Stop();

        lease.EnsureHeld();
        await _history.UpdateOneAsync(
            Builders<BsonDocument>.Filter.Eq("_id", step.Number),
            Builders<BsonDocument>.Update.Pipeline(MongoScript.RecordPipeline(step, appliedBy, clock.ElapsedMilliseconds, done)),
            new UpdateOptions { IsUpsert = true },
            cancellationToken);

        stepReport.State = VersionState.AppliedNow;
        stepReport.Checksum = ChecksumStatus.Ok;
        stepReport.RecordedChecksum = step.Checksum;
        stepReport.AppliedAt = DateTimeOffset.UtcNow;
        stepReport.AppliedBy = appliedBy;
        stepReport.ToolVersion = MigrationRunContext.CurrentToolVersion;
        stepReport.DurationMs = clock.ElapsedMilliseconds;
        activity?.SetTag("db.migration.duration_ms", clock.ElapsedMilliseconds);
        logger.LogInformation("Applied MongoDB step {Step} in {Duration} ms ({Actions} change(s))", step.Number, clock.ElapsedMilliseconds, done.Count);
    }

    /// <summary>Carries out the plan for <paramref name="collections"/>; returns what it did. Conflicts become drift.</summary>
    private async Task<List<string>> ReconcileAsync(
        IReadOnlyList<CollectionSpec> collections, MongoLease lease, MongoReport report, CancellationToken cancellationToken,
        bool listExtraIndexes = false)
    {
        var plan = MongoPlanner.Plan(collections, await ReadStateAsync(collections, cancellationToken));
        AddDrift(report, plan.Drift);
        if (listExtraIndexes)
        {
            report.ExtraIndexes!.AddRange(plan.ExtraIndexes);
            report.RetiredIndexes!.AddRange(plan.RetiredIndexes);
        }

        var done = new List<string>();
        foreach (var action in plan.Actions)
        {
            lease.EnsureHeld();
            try
            {
                await database.RunCommandAsync<BsonDocument>(action.Command, cancellationToken: cancellationToken);
                Done(action);
            }
            catch (MongoCommandException ex) when (ex.Code == NamespaceExists && action.Kind == MongoActionKind.CreateCollection)
            {
                // Created a moment ago by someone not holding the lease: it exists, so only its validator may be missing.
                var spec = collections.Single(c => c.Name == action.Collection);
                var state = await ReadStateAsync([spec], cancellationToken);
                if (MongoPlanner.ValidatorDifference(spec, state[spec.Name].Options) is { } why)
                {
                    var setValidator = MongoPlanner.SetValidator(spec, why);
                    await database.RunCommandAsync<BsonDocument>(setValidator.Command, cancellationToken: cancellationToken);
                    Done(setValidator);
                }
            }
            catch (MongoCommandException ex) when (action.Kind == MongoActionKind.CreateIndex
                && ex.Code is IndexOptionsConflict or IndexKeySpecsConflict or IndexAlreadyExists or CannotCreateIndex)
            {
                // The plan saw no conflict but the server does (a peer's index, a second text index…): report, never drop.
                AddDrift(report, [new MongoDrift(
                    ex.Code == IndexKeySpecsConflict ? MongoDriftKind.IndexNameTaken : MongoDriftKind.IndexOptionsDiffer,
                    action.Collection, action.Index,
                    $"{action.Collection}: index '{action.Index}' was not created: {ex.ErrorMessage} ({ex.CodeName}); the existing index was left alone.")]);
            }
        }

        return done;

        void Done(MongoAction action)
        {
            report.Actions!.Add(action);
            done.Add(action.Description);
            logger.LogInformation("MongoDB {Database}: {Action}", DatabaseName, action.Description);
        }
    }

    /// <summary>The declared collections that exist, with their options and indexes.</summary>
    private async Task<Dictionary<string, ExistingCollection>> ReadStateAsync(IEnumerable<CollectionSpec> collections, CancellationToken cancellationToken)
    {
        var filter = new BsonDocument("name", new BsonDocument("$in", new BsonArray(collections.Select(c => c.Name))));
        var infos = await (await database.ListCollectionsAsync(new ListCollectionsOptions { Filter = filter }, cancellationToken))
            .ToListAsync(cancellationToken);
        var result = new Dictionary<string, ExistingCollection>(StringComparer.Ordinal);
        foreach (var info in infos)
        {
            var name = info["name"].AsString;
            var existing = new ExistingCollection(name, info, []);
            if (!existing.IsView)
            {
                var indexes = await (await database.GetCollection<BsonDocument>(name).Indexes.ListAsync(cancellationToken)).ToListAsync(cancellationToken);
                existing = existing with { Indexes = indexes };
            }

            result[name] = existing;
        }

        return result;
    }

    private async Task<Dictionary<int, BsonDocument>> ReadHistoryAsync(CancellationToken cancellationToken)
    {
        var rows = await _history.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(cancellationToken);
        return rows.Where(r => r["_id"].IsInt32).ToDictionary(r => r["_id"].AsInt32);
    }

    private void Compare(Dictionary<int, BsonDocument> history, MongoReport report)
    {
        foreach (var step in _steps)
        {
            var row = history.GetValueOrDefault(step.Number);
            var recorded = row?.GetValue("checksum", BsonNull.Value) is BsonString s ? s.Value : null;
            report.Steps!.Add(new MongoStepReport
            {
                Step = step.Number,
                Description = step.Description,
                CodeChecksum = step.Checksum,
                State = row is null ? VersionState.Pending : VersionState.Applied,
                Checksum = row is null ? ChecksumStatus.None : recorded == step.Checksum ? ChecksumStatus.Ok : ChecksumStatus.Changed,
                RecordedChecksum = recorded,
                AppliedAt = Date(row, "appliedAt"),
                AppliedBy = Text(row, "appliedBy"),
                ToolVersion = Text(row, "toolVersion"),
                DurationMs = row?.GetValue("durationMs", BsonNull.Value) is { IsNumeric: true } ms ? ms.ToInt64() : null,
            });
        }

        foreach (var (number, row) in history.Where(h => _steps.All(s => s.Number != h.Key)).OrderBy(h => h.Key))
        {
            report.Steps!.Add(new MongoStepReport
            {
                Step = number,
                Description = Text(row, "description") ?? "(unknown)",
                State = VersionState.MissingFromCode,
                RecordedChecksum = Text(row, "checksum"),
                AppliedAt = Date(row, "appliedAt"),
                AppliedBy = Text(row, "appliedBy"),
                ToolVersion = Text(row, "toolVersion"),
            });
        }
    }

    private static List<string> Problems(MongoReport report) => [.. report.Steps!
        .Where(s => s.Checksum == ChecksumStatus.Changed || s.State == VersionState.MissingFromCode)
        .Select(s => s.State == VersionState.MissingFromCode
            ? $"MongoDB step {s.Step} ({s.Description}) is applied to the database but is not in this build."
            : $"MongoDB step {s.Step} ({s.Description}) was edited after it was applied: recorded checksum {s.RecordedChecksum}, this build declares {s.CodeChecksum}.")];

    private static void AddDrift(MongoReport report, IEnumerable<MongoDrift> drift)
    {
        var list = report.Drift!;
        foreach (var item in drift)
        {
            // The per-step pass and the final pass look at the same collections; report each difference once.
            if (!list.Any(d => d.Kind == item.Kind && d.Collection == item.Collection && d.Index == item.Index))
            {
                list.Add(item);
            }
        }
    }

    private void Fail(MongoReport report, Exception exception)
    {
        report.Status = MongoStatus.Failed;
        report.Error = Explain(exception, database.Client.Settings, DatabaseName);
        logger.LogError("MongoDB {Database}: {Error}", DatabaseName, report.Error);
        logger.LogDebug(exception, "Failure details");
    }

    /// <summary>
    /// A sentence for a person rather than the driver's dump of its cluster state: a refused login in the words of the
    /// AppHost's health check, a missing privilege with the role that grants it.
    /// </summary>
    internal static string Explain(Exception exception, MongoClientSettings settings, string databaseName) => exception switch
    {
        _ when MongoFailures.IsAuthenticationFailure(exception) => MongoFailures.AuthenticationFailed(settings.Credential),
        TimeoutException => $"No MongoDB server answered at {string.Join(", ", settings.Servers)} " +
                            $"within {settings.ServerSelectionTimeout.TotalSeconds:0.#} s.",
        MongoCommandException command when MongoPrivileges.Explain(command, databaseName, settings.Credential) is { } missing => missing,
        MongoCommandException command => $"MongoDB refused a command: {command.ErrorMessage} ({command.CodeName}, code {command.Code}).",
        _ => exception.Message,
    };

    private string NewOwner() => $"{appliedBy} pid {Environment.ProcessId} {Guid.NewGuid().ToString("N")[..8]}";

    private static string? Text(BsonDocument? row, string name) =>
        row?.GetValue(name, BsonNull.Value) is BsonString s ? s.Value : null;

    private static DateTimeOffset? Date(BsonDocument? row, string name) =>
        row?.GetValue(name, BsonNull.Value) is BsonDateTime d ? new DateTimeOffset(d.ToUniversalTime()) : null;
}
