using System.Collections;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace DrAssistant.Shared.Documents;

/// <summary>
/// Stores an enum as its name in lower case (<c>NoteStatus.Draft</c> ⇄ <c>"draft"</c>), the words the collection
/// validators accept. Applied with <c>[BsonSerializer]</c> on each enum property (the attribute cannot sit on an enum
/// type), so filters and updates on that property use it too, without any global registration.
/// </summary>
public sealed class LowercaseEnumSerializer<TEnum> : StructSerializerBase<TEnum>
    where TEnum : struct, Enum
{
    private static readonly Dictionary<TEnum, string> Words =
        Enum.GetValues<TEnum>().ToDictionary(value => value, value => value.ToString().ToLowerInvariant());

    private static readonly Dictionary<string, TEnum> Values = Words.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>The stored words, in declaration order.</summary>
    public static IReadOnlyList<string> StoredWords { get; } = [.. Enum.GetValues<TEnum>().Select(value => Words[value])];

    public override void Serialize(BsonSerializationContext context, BsonSerializationArgs args, TEnum value)
    {
        if (!Words.TryGetValue(value, out var word))
        {
            throw new BsonSerializationException($"{value} is not a defined {typeof(TEnum).Name}, so it has no stored word.");
        }

        context.Writer.WriteString(word);
    }

    public override TEnum Deserialize(BsonDeserializationContext context, BsonDeserializationArgs args)
    {
        var reader = context.Reader;
        if (reader.GetCurrentBsonType() != BsonType.String)
        {
            throw new FormatException($"A {typeof(TEnum).Name} is stored as a string, not as {reader.GetCurrentBsonType()}.");
        }

        var word = reader.ReadString();
        return Values.TryGetValue(word, out var value)
            ? value
            : throw new FormatException($"'{word}' is not a {typeof(TEnum).Name}; expected one of {string.Join(", ", StoredWords)}.");
    }
}

/// <summary>
/// Leaves a collection out of the document when it is empty (or null), as an optional field is omitted rather than
/// written as null or <c>[]</c>. Reading a document without the field keeps the property's initial empty list.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class BsonIgnoreIfEmptyAttribute : Attribute, IBsonMemberMapAttribute
{
    public void Apply(BsonMemberMap memberMap) =>
        memberMap.SetShouldSerializeMethod(document => memberMap.Getter(document) is ICollection { Count: > 0 });
}
