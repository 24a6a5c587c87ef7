using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using Microsoft.Net.Http.Headers;
using MongoDB.Bson;

namespace DrAssistant.Api.Recordings;

/// <summary>The rules of recordings that need no server: the upload's fields and media type, the metadata document, the status steps.</summary>
public static class RecordingsRules
{
    /// <summary>
    /// The lifecycle, one row a step: the statuses a recording may be marked from. A transcribed recording is done; a
    /// failed one may be retried (processing → error → transcribed).
    /// </summary>
    public static readonly IReadOnlyDictionary<RecordingStatus, RecordingStatus[]> Steps = new Dictionary<RecordingStatus, RecordingStatus[]>
    {
        [RecordingStatus.Transcribed] = [RecordingStatus.Processing, RecordingStatus.Error],
        [RecordingStatus.Error] = [RecordingStatus.Processing, RecordingStatus.Error],
    };

    /// <summary>The words a client may send as a recording's new status.</summary>
    public static IReadOnlyList<string> StatusWords { get; } = [.. Steps.Keys.Select(NotesRules.Word)];

    /// <summary>The status a request asks for, and the note it names (checked by <see cref="ValidateStatus"/>).</summary>
    public static (RecordingStatus? Status, ObjectId? TranscriptionId) ParseStatus(UpdateRecordingStatusRequest request) => (
        Steps.Keys.Cast<RecordingStatus?>().FirstOrDefault(s => NotesRules.Word(s!.Value) == request.Status),
        ObjectId.TryParse(request.TranscriptionId, out var id) ? id : null);

    public static Validation ValidateStatus(UpdateRecordingStatusRequest request, Validation validation)
    {
        var (status, transcriptionId) = ParseStatus(request);
        return validation
            .OneOf("status", request.Status, StatusWords)
            .When(status == RecordingStatus.Transcribed && transcriptionId is null,
                "transcriptionId", "transcriptionId is required: the id of the note made from the recording.")
            .When(status == RecordingStatus.Error && request.TranscriptionId is not null, "transcriptionId", "A failed transcription has no note.")
            .When(request.ProcessingStats?.TranscriptionTime < 0, "processingStats.transcriptionTime", "transcriptionTime must not be negative.")
            .When(request.ProcessingStats?.WordCount < 0, "processingStats.wordCount", "wordCount must not be negative.")
            .When(request.ProcessingStats?.Confidence is < 0 or > 1, "processingStats.confidence", "confidence must be between 0 and 1.");
    }

    /// <summary>The metadata document of a stored upload, with its retention date.</summary>
    public static VoiceRecording NewRecording(ObjectId id, EncounterParties encounter, Stored stored, RecordingFields fields, RecordingOptions options, DateTime now) => new()
    {
        Id = id,
        EncounterId = encounter.Id,
        PatientId = encounter.PatientId,
        DoctorId = encounter.DoctorId,
        Duration = fields.Duration!.Value,
        FileSize = stored.Length,
        MimeType = stored.MimeType,
        Status = RecordingStatus.Processing,
        Metadata = fields.DeviceInfo is null && fields.Quality is null ? null : new RecordingMetadata { DeviceInfo = fields.DeviceInfo, Quality = fields.Quality },
        RetentionPolicy = new RetentionPolicy { ExpiresAt = now + options.Retention, RetentionReason = options.RetentionReason },
        FileId = stored.FileId,
        CreatedAt = now,
        UpdatedAt = now,
    };

    public static Validation ValidateFields(Validation validation, RecordingFields fields, bool durationRequired) => validation
        .When(durationRequired && fields.Duration is null, "duration", "duration is required: the recording's length in seconds.")
        .When(fields.Duration is <= 0 or > 86_400 || fields.Duration is double d && !double.IsFinite(d), "duration", "duration must be more than 0 and at most 86400 seconds.")
        .MaxLength("deviceInfo", fields.DeviceInfo, 200)
        .MaxLength("quality", fields.Quality, 50);

    /// <summary>
    /// Whether the media type is allowed, and as stored: lower case, without parameters (<c>audio/webm;codecs=opus</c> is
    /// <c>audio/webm</c>).
    /// </summary>
    public static bool TryAllowedMimeType(string? contentType, RecordingOptions options, out string mimeType)
    {
        mimeType = string.Empty;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value is not { } type)
        {
            return false;
        }

        mimeType = type.ToLowerInvariant();
        var candidate = mimeType;
        return options.MimeTypes.Any(allowed => string.Equals(allowed, candidate, StringComparison.OrdinalIgnoreCase));
    }

    public static bool IsMultipart(string? contentType, out string? boundary)
    {
        boundary = null;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var value = HeaderUtilities.RemoveQuotes(parsed.Boundary).Value;
        // RFC 2046: 1 to 70 characters.
        boundary = string.IsNullOrEmpty(value) || value.Length > 70 ? null : value;
        return true;
    }
}
