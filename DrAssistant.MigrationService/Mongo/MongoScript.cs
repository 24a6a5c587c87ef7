using System.Globalization;
using System.Text;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// The MongoDB commands for review: what a fresh database gets, one <c>db.runCommand(...)</c> a line. Every line is an
/// SQL comment, so the whole output of <c>script</c> stays runnable in psql. Built from the same plan and pipelines the
/// migrator executes.
/// </summary>
public static class MongoScript
{
    public static string Render(string database, IReadOnlyList<MongoStep> steps, string appliedBy)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"-- DrAssistant.MigrationService {MigrationRunContext.CurrentToolVersion}: MongoDB database '{database}', steps 1 to {steps[^1].Number}, as a fresh database gets them.");
        text.AppendLine("-- Generated for review; nothing was executed. Each command is written as an SQL comment (for mongosh, drop the '-- '). On a database that");
        text.AppendLine("-- exists the migrator first compares: it creates only what is missing, sends collMod only when a validator differs,");
        text.AppendLine("-- and reports an index that conflicts with an existing one as drift instead of dropping anything.");
        var declared = MongoSteps.Cumulative(steps);
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"-- Step {step.Number}: {step.Description} (checksum {step.Checksum})");
            foreach (var collection in step.Collections)
            {
                if (created.Add(collection.Name))
                {
                    text.AppendLine(Command(MongoPlanner.CreateCollection(collection).Command));
                    if (collection.Validator is not null)
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"-- (when {collection.Name} exists already, instead:)");
                        text.AppendLine(Command(MongoPlanner.SetValidator(collection, "differs").Command));
                    }
                }
                else if (collection.Validator is not null)
                {
                    // Declared again by a later step: its validator replaces the earlier one.
                    text.AppendLine(Command(MongoPlanner.SetValidator(collection, "replaced by this step").Command));
                }

                var indexes = MongoSteps.WithoutRetired([collection], declared)[0].Indexes;
                foreach (var index in collection.Indexes)
                {
                    text.AppendLine(indexes.Contains(index)
                        ? Command(MongoPlanner.CreateIndex(collection, index).Command)
                        : $"-- (index {index.Name} on {collection.Name}: retired by a later step, so a fresh database does not get it)");
                }

                foreach (var retired in collection.Retired)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"-- (retires index {retired.Index.Name} on {collection.Name}: {retired.Reason}; an existing one is left in place)");
                }
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"-- Record step {step.Number} in {MongoMigrator.HistoryCollectionName}:");
            var record = new BsonDocument
            {
                { "q", new BsonDocument("_id", step.Number) },
                { "u", new BsonArray(RecordPipeline(step, appliedBy, durationMs: 0, [])) },
                { "upsert", true },
            };
            text.AppendLine(Command(new BsonDocument { { "update", MongoMigrator.HistoryCollectionName }, { "updates", new BsonArray { record } } }));
        }

        return text.ToString();
    }

    private static string Command(BsonDocument command) => $"-- db.runCommand({command.ToJson()})";

    /// <summary>
    /// The history entry of an applied step, as an update pipeline so <c>appliedAt</c> is the server's clock (as the
    /// lease's expiry is). Values are literals: in a pipeline a string starting with '$' would be read as a field path
    /// (and a bare 1 means something else to some stages).
    /// </summary>
    public static BsonDocument[] RecordPipeline(MongoStep step, string appliedBy, long durationMs, IReadOnlyList<string> actions) =>
    [
        new("$set", new BsonDocument
        {
            { "step", new BsonDocument("$literal", step.Number) },
            { "description", Literal(step.Description) },
            { "checksum", Literal(step.Checksum) },
            { "appliedAt", "$$NOW" },
            { "appliedBy", Literal(appliedBy) },
            { "toolVersion", Literal(MigrationRunContext.CurrentToolVersion) },
            { "durationMs", new BsonDocument("$literal", durationMs) },
            { "actions", new BsonDocument("$literal", new BsonArray(actions)) },
        }),
    ];

    /// <summary>Records the checksum of an edited step accepted with <c>--accept-changes</c>, keeping when it was first applied.</summary>
    public static BsonDocument[] AcceptChecksumPipeline(MongoStep step, string acceptedBy) =>
    [
        new("$set", new BsonDocument
        {
            { "description", Literal(step.Description) },
            { "checksum", Literal(step.Checksum) },
            { "checksumAcceptedAt", "$$NOW" },
            { "checksumAcceptedBy", Literal(acceptedBy) },
        }),
    ];

    private static BsonDocument Literal(string value) => new("$literal", value);
}
