using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.IO;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>
/// One versioned step of the MongoDB side: the state it declares for some collections. Applying it reconciles those
/// collections to that state (create what is missing, set a validator that differs), so applying it twice changes
/// nothing. Its checksum covers the declared state, not the description.
/// </summary>
public sealed record MongoStep(int Number, string Description, IReadOnlyList<CollectionSpec> Collections)
{
    public string Checksum { get; } = MongoSteps.Checksum(Collections);
}

/// <summary>
/// The steps of this build, numbered like the SQL versions. Numbers are never reused and an applied step is never
/// edited: a change is a new step that declares the collection again (its validator replaces the earlier one, its
/// indexes are added). Nothing is ever dropped by a step.
/// </summary>
public static class MongoSteps
{
    public static IReadOnlyList<MongoStep> All { get; } =
    [
        new(1, "clinicalNotes and voiceRecordings with their validators and indexes; GridFS bucket fs",
        [
            MongoSchema.ClinicalNotesCollection,
            MongoSchema.VoiceRecordingsCollection,
            MongoSchema.GridFsFilesCollection,
            MongoSchema.GridFsChunksCollection,
        ]),
        new(2, "numbers of any numeric BSON type; GridFS's files index as the drivers name it; fileId and attachments indexed for the orphan sweep",
        [
            MongoSchema.ClinicalNotesStep2,
            MongoSchema.VoiceRecordingsStep2,
            MongoSchema.GridFsFilesStep2,
        ]),
    ];

    public static int Latest => All[^1].Number;

    /// <summary>The state all steps together declare: what a fresh database and an old one both converge to.</summary>
    public static IReadOnlyList<CollectionSpec> Declared { get; } = Cumulative(All);

    /// <summary>SHA-256 of the declared state in canonical extended JSON, which does not depend on this process.</summary>
    public static string Checksum(IEnumerable<CollectionSpec> collections)
    {
        var state = new BsonArray(collections.Select(c =>
        {
            var collection = new BsonDocument
            {
                { "name", c.Name },
                { "options", c.ValidatorOptions() },
                { "indexes", new BsonArray(c.Indexes.Select(i => i.ToCreateDocument())) },
            };
            // Only when there are some, so the checksums of steps that retire nothing are what they always were.
            if (c.Retired.Count > 0)
            {
                collection.Add("retired", new BsonArray(c.Retired.Select(r => r.Index.ToCreateDocument())));
            }

            return collection;
        }));
        var json = new BsonDocument("collections", state).ToJson(new JsonWriterSettings { OutputMode = JsonOutputMode.CanonicalExtendedJson });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>
    /// The state of <paramref name="steps"/> together: a collection declared again takes the later validator (an
    /// absent one keeps the earlier) and gains the later indexes, a same-named index being replaced; an index the
    /// later declaration retires is no longer declared (and is remembered as retired).
    /// </summary>
    public static IReadOnlyList<CollectionSpec> Cumulative(IEnumerable<MongoStep> steps)
    {
        var result = new List<CollectionSpec>();
        foreach (var collection in steps.SelectMany(s => s.Collections))
        {
            var index = result.FindIndex(c => c.Name == collection.Name);
            if (index < 0)
            {
                result.Add(collection);
                continue;
            }

            var earlier = result[index];
            var indexes = earlier.Indexes
                .Where(i => collection.Indexes.All(n => n.Name != i.Name) && collection.Retired.All(r => r.Index.Name != i.Name))
                .Concat(collection.Indexes).ToList();
            var retired = earlier.Retired.Where(r => collection.Indexes.All(i => i.Name != r.Index.Name)).Concat(collection.Retired).ToList();
            result[index] = new CollectionSpec(collection.Name, collection.Validator ?? earlier.Validator, indexes) { Retired = retired };
        }

        return result;
    }

    /// <summary>
    /// What applying <paramref name="collections"/> (one step's) does in a build that declares <paramref name="declared"/>:
    /// the step as written, except the indexes a later step retires. A fresh database therefore never gets an index
    /// only to have it retired by the next step; a database that got it earlier keeps it (nothing is dropped).
    /// </summary>
    public static IReadOnlyList<CollectionSpec> WithoutRetired(IReadOnlyList<CollectionSpec> collections, IReadOnlyList<CollectionSpec> declared) =>
    [
        .. collections.Select(c =>
        {
            var retired = declared.FirstOrDefault(d => d.Name == c.Name)?.Retired ?? [];
            return retired.Count == 0 ? c : c with { Indexes = [.. c.Indexes.Where(i => !retired.Any(r => r.Index.Name == i.Name && BsonEquivalence.SameKeys(r.Index.Keys, i.Keys)))] };
        }),
    ];
}
