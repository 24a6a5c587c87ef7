using System.Text.Json.Serialization;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Mongo;

/// <summary>A collection as the server describes it: its <c>listCollections</c> entry and its <c>listIndexes</c> entries.</summary>
public sealed record ExistingCollection(string Name, BsonDocument Info, IReadOnlyList<BsonDocument> Indexes)
{
    public BsonDocument Options => Info.TryGetValue("options", out var options) && options.IsBsonDocument ? options.AsBsonDocument : [];

    public bool IsView => Info.TryGetValue("type", out var type) && type == "view";
}

public enum MongoActionKind
{
    CreateCollection,
    SetValidator,
    CreateIndex,
}

/// <summary>One command that brings the database closer to the declared state.</summary>
public sealed record MongoAction(MongoActionKind Kind, string Collection, string? Index, string Description, [property: JsonIgnore] BsonDocument Command);

public enum MongoDriftKind
{
    /// <summary>An index with the declared keys (or name) exists with other options (unique, TTL, weights…).</summary>
    IndexOptionsDiffer,

    /// <summary>The declared index name belongs to an index on other keys.</summary>
    IndexNameTaken,

    /// <summary>The declared index exists, same keys and options, under another name.</summary>
    IndexNamedDifferently,

    /// <summary>A view (or other non-collection) has the declared collection's name.</summary>
    NotACollection,
}

/// <summary>A difference from the declared state that the migrator reports and does not repair: repairing it would mean dropping something.</summary>
public sealed record MongoDrift(MongoDriftKind Kind, string Collection, string? Index, string Message);

/// <summary>
/// What reconciling would do (<see cref="Actions"/>) and what it cannot (<see cref="Drift"/>); indexes nobody declared
/// and indexes a later step retired, both left in place.
/// </summary>
public sealed record MongoPlan(IReadOnlyList<MongoAction> Actions, IReadOnlyList<MongoDrift> Drift, IReadOnlyList<string> ExtraIndexes, IReadOnlyList<string> RetiredIndexes);

/// <summary>
/// Compares the declared state with the server's description of the database, without talking to the server:
/// collections missing, validators that differ (compared by meaning, not by field order), indexes compared by keys and
/// options rather than by name only. Deciding here, apart from executing, is what lets <c>info</c> show the same plan
/// <c>migrate</c> would carry out.
/// </summary>
public static class MongoPlanner
{
    /// <summary>Index fields that describe how or when an index was built rather than what it is.</summary>
    private static readonly HashSet<string> NotOptions = ["v", "key", "name", "ns", "background", "textIndexVersion", "2dsphereIndexVersion"];

    /// <summary>Flags whose <c>false</c> is the same as leaving them out.</summary>
    private static readonly HashSet<string> Flags = ["unique", "sparse", "hidden"];

    public static MongoPlan Plan(IEnumerable<CollectionSpec> declared, IReadOnlyDictionary<string, ExistingCollection> existing)
    {
        var actions = new List<MongoAction>();
        var drift = new List<MongoDrift>();
        var extra = new List<string>();
        var retired = new List<string>();
        foreach (var collection in declared)
        {
            if (!existing.TryGetValue(collection.Name, out var current))
            {
                actions.Add(CreateCollection(collection));
                actions.AddRange(collection.Indexes.Select(i => CreateIndex(collection, i)));
                continue;
            }

            if (current.IsView)
            {
                drift.Add(new MongoDrift(MongoDriftKind.NotACollection, collection.Name, null,
                    $"'{collection.Name}' is a view, not a collection; it was left alone."));
                continue;
            }

            if (ValidatorDifference(collection, current.Options) is { } why)
            {
                actions.Add(SetValidator(collection, why));
            }

            var matched = new HashSet<string>(StringComparer.Ordinal) { "_id_" };
            foreach (var index in collection.Indexes)
            {
                var (found, problem) = Compare(collection, index, current.Indexes);
                if (found is not null)
                {
                    matched.Add(found);
                }

                if (problem is not null)
                {
                    drift.Add(problem);
                }
                else if (found is null)
                {
                    actions.Add(CreateIndex(collection, index));
                }
            }

            foreach (var old in collection.Retired)
            {
                var present = current.Indexes.FirstOrDefault(i => i["name"] == old.Index.Name && BsonEquivalence.SameKeys(i["key"].AsBsonDocument, old.Index.Keys));
                if (present is not null && matched.Add(old.Index.Name))
                {
                    retired.Add($"{collection.Name}.{old.Index.Name} {Describe(old.Index.Keys)}: {old.Reason}; left in place " +
                        $"(to drop it: db.getCollection(\"{collection.Name}\").dropIndex(\"{old.Index.Name}\"))");
                }
            }

            extra.AddRange(current.Indexes.Select(i => i["name"].AsString).Where(n => !matched.Contains(n)).Select(n => $"{collection.Name}.{n}"));
        }

        return new MongoPlan(actions, drift, extra, retired);
    }

    public static MongoAction CreateCollection(CollectionSpec collection) => new(
        MongoActionKind.CreateCollection, collection.Name, null,
        collection.Validator is null ? $"create collection {collection.Name}" : $"create collection {collection.Name} with its validator",
        new BsonDocument("create", collection.Name).AddRange(collection.ValidatorOptions()));

    public static MongoAction SetValidator(CollectionSpec collection, string why) => new(
        MongoActionKind.SetValidator, collection.Name, null,
        $"set the validator of {collection.Name} ({why})",
        new BsonDocument("collMod", collection.Name).AddRange(collection.ValidatorOptions()));

    public static MongoAction CreateIndex(CollectionSpec collection, IndexSpec index) => new(
        MongoActionKind.CreateIndex, collection.Name, index.Name,
        $"create index {index.Name} {Describe(index.Keys)} on {collection.Name}",
        new BsonDocument { { "createIndexes", collection.Name }, { "indexes", new BsonArray { index.ToCreateDocument() } } });

    /// <summary>Why the collection's validator must be set, or null when it already is the declared one.</summary>
    public static string? ValidatorDifference(CollectionSpec collection, BsonDocument options)
    {
        if (collection.Validator is null)
        {
            return null;
        }

        if (!options.TryGetValue("validator", out var validator) || validator is not BsonDocument { ElementCount: > 0 })
        {
            return "it has none";
        }

        if (!BsonEquivalence.Equivalent(validator, collection.Validator))
        {
            return "it differs from the declared one";
        }

        var level = options.GetValue("validationLevel", CollectionSpec.ValidationLevel).ToString();
        var action = options.GetValue("validationAction", CollectionSpec.ValidationAction).ToString();
        return level != CollectionSpec.ValidationLevel ? $"its validationLevel is '{level}'"
            : action != CollectionSpec.ValidationAction ? $"its validationAction is '{action}'"
            : null;
    }

    /// <summary>The server's form of an index's key: text fields become <c>_fts</c>/<c>_ftsx</c>, their weights an option.</summary>
    public static BsonDocument ServerKeys(IndexSpec index)
    {
        if (!index.IsText)
        {
            return index.Keys;
        }

        var keys = new BsonDocument();
        foreach (var element in index.Keys)
        {
            if (element.Value != "text")
            {
                keys.Add(element);
            }
            else if (!keys.Contains("_fts"))
            {
                keys.Add("_fts", "text").Add("_ftsx", 1);
            }
        }

        return keys;
    }

    /// <summary>What an index is, apart from its name and keys: the options that change its behaviour.</summary>
    public static BsonDocument SignificantOptions(BsonDocument index) => new(index.Elements
        .Where(e => !NotOptions.Contains(e.Name))
        .Where(e => !(Flags.Contains(e.Name) && e.Value is BsonBoolean { Value: false })));

    /// <summary>The existing index that is the declared one (by name or keys), and the drift when it is not quite it.</summary>
    private static (string? Found, MongoDrift? Problem) Compare(CollectionSpec collection, IndexSpec index, IReadOnlyList<BsonDocument> existing)
    {
        var keys = ServerKeys(index);
        var options = SignificantOptions(index.ToCreateDocument());
        var byName = existing.FirstOrDefault(i => i["name"] == index.Name);
        if (byName is not null)
        {
            if (!BsonEquivalence.SameKeys(byName["key"].AsBsonDocument, keys))
            {
                return (byName["name"].AsString, new MongoDrift(MongoDriftKind.IndexNameTaken, collection.Name, index.Name,
                    $"{collection.Name}: index '{index.Name}' exists on {Describe(byName["key"].AsBsonDocument)}, not on the declared {Describe(keys)}; it was left alone."));
            }

            return BsonEquivalence.Equivalent(SignificantOptions(byName), options)
                ? (index.Name, null)
                : (index.Name, OptionsDiffer(collection, index, byName, options));
        }

        var byKeys = existing.FirstOrDefault(i => BsonEquivalence.SameKeys(i["key"].AsBsonDocument, keys));
        if (byKeys is null)
        {
            return (null, null);
        }

        var name = byKeys["name"].AsString;
        return BsonEquivalence.Equivalent(SignificantOptions(byKeys), options)
            ? (name, new MongoDrift(MongoDriftKind.IndexNamedDifferently, collection.Name, index.Name,
                $"{collection.Name}: the declared index '{index.Name}' {Describe(keys)} exists as '{name}'; it was left under that name."))
            : (name, OptionsDiffer(collection, index, byKeys, options));
    }

    private static MongoDrift OptionsDiffer(CollectionSpec collection, IndexSpec index, BsonDocument existing, BsonDocument declared) => new(
        MongoDriftKind.IndexOptionsDiffer, collection.Name, index.Name,
        $"{collection.Name}: index '{existing["name"].AsString}' on {Describe(existing["key"].AsBsonDocument)} has options " +
        $"{Describe(SignificantOptions(existing))}, the declared '{index.Name}' has {Describe(declared)}; it was left alone " +
        "(drop it by hand to have it rebuilt as declared).");

    internal static string Describe(BsonDocument document) => document.ElementCount == 0 ? "{}" : document.ToJson();
}

/// <summary>Equality of BSON by meaning: field order inside documents does not matter, and 1, 1L and 1.0 are equal.</summary>
public static class BsonEquivalence
{
    public static bool Equivalent(BsonValue a, BsonValue b)
    {
        if (a.IsNumeric && b.IsNumeric)
        {
            // Integers compare exactly (a long may exceed a double's precision); anything else as doubles.
            return a.BsonType is BsonType.Int32 or BsonType.Int64 && b.BsonType is BsonType.Int32 or BsonType.Int64
                ? a.ToInt64() == b.ToInt64()
                : a.ToDouble() == b.ToDouble();
        }

        return (a, b) switch
        {
            (BsonDocument x, BsonDocument y) => x.ElementCount == y.ElementCount
                && x.All(e => y.TryGetValue(e.Name, out var other) && Equivalent(e.Value, other)),
            (BsonArray x, BsonArray y) => x.Count == y.Count && x.Zip(y).All(p => Equivalent(p.First, p.Second)),
            _ => a.Equals(b),
        };
    }

    /// <summary>Index keys, where order is meaning: {a: 1, b: 1} and {b: 1, a: 1} are different indexes.</summary>
    public static bool SameKeys(BsonDocument a, BsonDocument b) =>
        a.ElementCount == b.ElementCount && a.Zip(b).All(p => p.First.Name == p.Second.Name && Equivalent(p.First.Value, p.Second.Value));
}
