using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DrAssistant.Api.Infrastructure;
using MongoDB.Bson;

namespace DrAssistant.Api.Notes;

/// <summary>What <c>If-Match</c> said.</summary>
public enum Precondition
{
    Missing,
    Invalid,
    Valid,
}

/// <summary>A change of a note, each a row of <see cref="NotesRules.Steps"/>.</summary>
public enum NoteStep
{
    Edit,
    Sign,
    Amend,
}

/// <summary>Why a note cannot be amended: it is a draft, it changed since the version sent, or it was amended as often as allowed.</summary>
public enum AmendRefusal
{
    Draft,
    Stale,
    Exhausted,
}

/// <summary>
/// The rules of clinical notes that need no server: request validation, the request → document mapping, versions and
/// their ETags, the lifecycle. <see cref="NotesQueries"/> adds the database, <see cref="NotesApi"/> the HTTP.
/// </summary>
public static class NotesRules
{
    /// <summary>Each free-text field of the content.</summary>
    public const int MaxText = 10_000;

    /// <summary>Each entry of a list of strings (diagnostics, treatments, …).</summary>
    public const int MaxListText = 1_000;

    public const int MaxListItems = 50;

    /// <summary>A transcript of a long visit; the request body limit (1 MiB) bounds it anyway.</summary>
    public const int MaxTranscription = 500_000;

    public const int MaxTags = 20;
    public const int MaxTagLength = 50;

    /// <summary>Each amendment keeps the content it replaced, so their number bounds the document (16 MB at most).</summary>
    public const int MaxAmendments = 10;

    public const string UpdateAction = "update";
    public const string SignAction = "sign";
    public const string AmendAction = "amend";

    /// <summary>
    /// The lifecycle, one row a step: the statuses it starts from and the word for it in a refusal. A draft is edited
    /// and signed; a signed (or already amended) note is only amended.
    /// </summary>
    public static readonly IReadOnlyDictionary<NoteStep, (NoteStatus[] From, NoteStatus To, string Done)> Steps =
        new Dictionary<NoteStep, (NoteStatus[], NoteStatus, string)>
        {
            [NoteStep.Edit] = ([NoteStatus.Draft], NoteStatus.Draft, "edited"),
            [NoteStep.Sign] = ([NoteStatus.Draft], NoteStatus.Signed, "signed"),
            [NoteStep.Amend] = ([NoteStatus.Signed, NoteStatus.Amended], NoteStatus.Amended, "amended"),
        };

    public static IReadOnlyList<string> NoteTypes => LowercaseEnumSerializer<NoteType>.StoredWords;

    /// <summary>Plausible bounds of the numbers of a note (units as in <see cref="VitalSigns"/>), to catch typos and unit mix-ups.</summary>
    private static readonly Dictionary<string, (double Min, double Max)> NumberRanges = new(StringComparer.Ordinal)
    {
        ["temperature"] = (25, 45),
        ["heartRate"] = (0, 300),
        ["respiratoryRate"] = (0, 120),
        ["systolic"] = (0, 300),
        ["diastolic"] = (0, 250),
        ["oxygenSaturation"] = (0, 100),
        ["weight"] = (0, 700),
        ["height"] = (0, 300),
        ["bmi"] = (0, 250),
    };

    /// <summary>The stored word of an enum value (<c>NoteStatus.Draft</c> → <c>draft</c>), as the serializer writes it.</summary>
    public static string Word<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// A note's version is its edit count: 0 when created, one more on every write (update, sign, amend). A write names
    /// the version it saw and succeeds only if the note is still at it.
    /// </summary>
    public static int Version(ClinicalNote note) => note.Metadata?.EditCount ?? 0;

    /// <summary>The strong ETag of a version: <c>"3"</c>.</summary>
    public static string ETag(int version) => $"\"{version}\"";

    /// <summary>
    /// Reads <c>If-Match</c>: exactly one strong ETag as this API issues them. A weak tag, a list or <c>*</c> is
    /// refused: each would let a write through without saying which version it saw.
    /// </summary>
    public static Precondition ParseIfMatch(string? header, out int version)
    {
        version = 0;
        if (string.IsNullOrWhiteSpace(header))
        {
            return Precondition.Missing;
        }

        var value = header.Trim();
        if (value.Length < 3 || value[0] != '"' || value[^1] != '"')
        {
            return Precondition.Invalid;
        }

        var digits = value[1..^1];
        return digits.Length <= 9 && digits.All(char.IsAsciiDigit) && int.TryParse(digits, out version)
            ? Precondition.Valid
            : Precondition.Invalid;
    }

    /// <summary>A malformed <c>If-Match</c> is a mistake of the request, named beside the others.</summary>
    public static Validation CheckIfMatch(Validation validation, Precondition precondition) => validation
        .When(precondition == Precondition.Invalid, "If-Match", "If-Match must be one strong ETag as this API issues them, e.g. \"3\".");

    /// <summary>Instants as MongoDB keeps them (milliseconds), so what a write returns equals what a read returns.</summary>
    public static DateTime Now(TimeProvider time)
    {
        var ticks = time.GetUtcNow().UtcTicks;
        return new DateTime(ticks - ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    public static Validation ValidateCreate(CreateNoteRequest request, Validation? validation = null) =>
        ValidateFields((validation ?? new Validation()).Required("encounterId", request.EncounterId).NotEmpty("encounterId", request.EncounterId),
            request.NoteType, noteTypeRequired: false, request.Content, request.RawTranscription, request.AiSummary,
            request.AiConfidenceScore, request.TemplateUsed, request.CompletionTime, request.Tags);

    public static Validation ValidateUpdate(UpdateNoteRequest request, Validation? validation = null) =>
        ValidateFields((validation ?? new Validation()).MaxLength("changes", request.Changes, 1_000),
            request.NoteType, noteTypeRequired: true, request.Content, request.RawTranscription, request.AiSummary,
            request.AiConfidenceScore, request.TemplateUsed, request.CompletionTime, request.Tags);

    public static Validation ValidateAmend(AmendNoteRequest request, Validation? validation = null)
    {
        validation = (validation ?? new Validation())
            .When(request.Content is null, "content", "content is required: the amended note.")
            .Required("reason", request.Reason, 1_000);
        ValidateContent(validation, request.Content);
        return validation;
    }

    /// <summary>
    /// Every string of the SOAP content within its length, every list within its size, every required entry field
    /// (a diagnosis' description, a medication's name) present, every vital sign plausible. Walks the document model
    /// so a field added to it is checked without a new rule here.
    /// </summary>
    public static void ValidateContent(Validation validation, NoteContent? content, string path = "content")
    {
        if (content is not null)
        {
            Walk(validation, content, path);
        }
    }

    /// <summary>A new draft for the encounter: its patient and doctor, version 0, created and updated now.</summary>
    public static ClinicalNote NewNote(CreateNoteRequest request, EncounterParties encounter, DateTime now) => new()
    {
        Id = ObjectId.GenerateNewId(now),
        EncounterId = encounter.Id,
        PatientId = encounter.PatientId,
        DoctorId = encounter.DoctorId,
        Status = NoteStatus.Draft,
        NoteType = ParseNoteType(request.NoteType) ?? NoteType.Soap,
        Content = request.Content,
        RawTranscription = request.RawTranscription,
        AiSummary = request.AiSummary,
        AiConfidenceScore = request.AiConfidenceScore,
        Metadata = new NoteMetadata
        {
            TemplateUsed = request.TemplateUsed,
            CompletionTime = request.CompletionTime,
            AiAssisted = request.AiAssisted,
            WordCount = WordCount(request.Content, request.RawTranscription),
            EditCount = 0,
        },
        Tags = Tags(request.Tags),
        CreatedAt = now,
        UpdatedAt = now,
    };

    public static NoteType? ParseNoteType(string? word) =>
        word is not null && NoteTypes.Contains(word, StringComparer.Ordinal) ? Enum.Parse<NoteType>(word, ignoreCase: true) : null;

    /// <summary>Tags trimmed, without blanks or repeats, in the order given.</summary>
    public static List<string> Tags(IEnumerable<string?>? tags) =>
        [.. (tags ?? []).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!.Trim()).Distinct(StringComparer.Ordinal)];

    /// <summary>Words in the note's text (content and transcription), for <c>metadata.wordCount</c>.</summary>
    public static int WordCount(NoteContent? content, string? rawTranscription)
    {
        var texts = new List<string>();
        if (content is not null)
        {
            CollectText(content, texts);
        }

        if (rawTranscription is not null)
        {
            texts.Add(rawTranscription);
        }

        return texts.Sum(t => t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>Why the note, as read, cannot be amended from <paramref name="version"/>; null when it can.</summary>
    public static AmendRefusal? WhyNotAmendable(ClinicalNote current, int version) =>
        current.Status == NoteStatus.Draft ? AmendRefusal.Draft
        : Version(current) != version ? AmendRefusal.Stale
        : Amendments(current) >= MaxAmendments ? AmendRefusal.Exhausted
        : null;

    public static int Amendments(ClinicalNote note) => note.Metadata?.EditHistory.Count(e => e.Action == AmendAction) ?? 0;

    private static Validation ValidateFields(
        Validation validation, string? noteType, bool noteTypeRequired, NoteContent? content, string? rawTranscription, string? aiSummary,
        double? aiConfidenceScore, string? templateUsed, double? completionTime, string[]? tags)
    {
        validation
            .OneOf("noteType", noteType, NoteTypes, noteTypeRequired)
            .MaxLength("rawTranscription", rawTranscription, MaxTranscription)
            .MaxLength("aiSummary", aiSummary, MaxText)
            .When(aiConfidenceScore is < 0 or > 1, "aiConfidenceScore", "aiConfidenceScore must be between 0 and 1.")
            .MaxLength("templateUsed", templateUsed, 100)
            .When(completionTime is < 0 or > 86_400, "completionTime", "completionTime must be between 0 and 86400 seconds.")
            .When(tags?.Length > MaxTags, "tags", $"At most {MaxTags} tags.");
        for (var i = 0; i < Math.Min(tags?.Length ?? 0, MaxTags); i++)
        {
            validation.MaxLength($"tags[{i}]", tags![i], MaxTagLength);
        }

        ValidateContent(validation, content);
        return validation;
    }

    private static void Walk(Validation validation, object node, string path)
    {
        foreach (var property in node.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var field = $"{path}.{name}";
            var value = property.GetValue(node);
            // The model's `required` members (a diagnosis' description, a medication's name) must also be non-blank.
            if (property.IsDefined(typeof(RequiredMemberAttribute)) && (value is null || value is string t && string.IsNullOrWhiteSpace(t)))
            {
                validation.Add(field, $"{field} is required.");
                continue;
            }

            switch (value)
            {
                case null:
                    break;
                case string text:
                    validation.MaxLength(field, text, MaxText);
                    break;
                case double number when NumberRanges.TryGetValue(name, out var range):
                    validation.When(number < range.Min || number > range.Max, field, $"{field} must be between {range.Min} and {range.Max}.");
                    break;
                case IList list:
                    validation.When(list.Count > MaxListItems, field, $"At most {MaxListItems} entries.");
                    for (var i = 0; i < Math.Min(list.Count, MaxListItems); i++)
                    {
                        switch (list[i])
                        {
                            case null:
                                validation.Add($"{field}[{i}]", "An entry is required.");
                                break;
                            case string entry:
                                validation.When(string.IsNullOrWhiteSpace(entry), $"{field}[{i}]", "An entry must not be blank.")
                                    .MaxLength($"{field}[{i}]", entry, MaxListText);
                                break;
                            case var item:
                                Walk(validation, item, $"{field}[{i}]");
                                break;
                        }
                    }

                    break;
                case var nested when IsContentType(nested.GetType()):
                    Walk(validation, nested, field);
                    break;
            }
        }
    }

    private static void CollectText(object node, List<string> texts)
    {
        foreach (var property in node.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            switch (property.GetValue(node))
            {
                case string text:
                    texts.Add(text);
                    break;
                case IList list:
                    foreach (var item in list)
                    {
                        if (item is string entry)
                        {
                            texts.Add(entry);
                        }
                        else if (item is not null)
                        {
                            CollectText(item, texts);
                        }
                    }

                    break;
                case { } nested when IsContentType(nested.GetType()):
                    CollectText(nested, texts);
                    break;
            }
        }
    }

    /// <summary>The classes of the note model (not strings, numbers or framework types), which the walks descend into.</summary>
    private static bool IsContentType(Type type) => type.IsClass && type.Namespace == typeof(NoteContent).Namespace;
}
