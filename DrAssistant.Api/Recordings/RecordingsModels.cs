using System.Globalization;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using MongoDB.Bson;

namespace DrAssistant.Api.Recordings;

/// <summary>Settings under <c>Recordings</c>.</summary>
public sealed class RecordingOptions
{
    public const string SectionName = "Recordings";

    /// <summary>What browsers and dictation devices record; used when <see cref="AllowedMimeTypes"/> is not configured.</summary>
    public static readonly string[] DefaultMimeTypes = ["audio/webm", "audio/ogg", "audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp4"];

    /// <summary>The largest recording accepted, in bytes (the audio itself; a multipart envelope may add a little).</summary>
    public long MaxBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>
    /// Media types accepted, without parameters (<c>audio/webm;codecs=opus</c> is <c>audio/webm</c>). Nullable because the
    /// configuration binder appends to an array that already has elements instead of replacing it.
    /// </summary>
    public string[]? AllowedMimeTypes { get; set; }

    /// <summary>How long a recording is kept after its upload; then the TTL index removes its metadata and the sweep its audio.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Written to <c>retentionPolicy.retentionReason</c>.</summary>
    public string RetentionReason { get; set; } = "Clinic policy: visit audio is kept until the note is written and reviewed.";

    /// <summary>How often the sweep looks for GridFS audio that no recording refers to.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Audio younger than this is never swept: longer than any upload takes, so an upload in progress is safe.</summary>
    public TimeSpan SweepGracePeriod { get; set; } = TimeSpan.FromHours(6);

    public IReadOnlyList<string> MimeTypes => AllowedMimeTypes is { Length: > 0 } configured ? configured : DefaultMimeTypes;

    /// <summary>The request body limit of the upload endpoint: the audio plus room for a multipart envelope and its fields.</summary>
    public long MaxRequestBytes => MaxBytes + 64 * 1024;
}

/// <summary>A recording's metadata; the audio is at <c>audioUrl</c>.</summary>
public sealed record RecordingResponse(
    string Id,
    Guid EncounterId,
    Guid PatientId,
    Guid DoctorId,
    double Duration,
    long FileSize,
    string MimeType,
    string Status,
    string? TranscriptionId,
    RecordingMetadata? Metadata,
    DateTime? ExpiresAt,
    string? RetentionReason,
    string AudioUrl,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public static RecordingResponse From(VoiceRecording recording) => new(
        recording.Id.ToString(), recording.EncounterId, recording.PatientId, recording.DoctorId, recording.Duration, recording.FileSize,
        recording.MimeType, NotesRules.Word(recording.Status), recording.TranscriptionId?.ToString(), recording.Metadata,
        recording.RetentionPolicy?.ExpiresAt, recording.RetentionPolicy?.RetentionReason, $"/api/recordings/{recording.Id}/audio",
        recording.CreatedAt, recording.UpdatedAt);
}

/// <summary>
/// The outcome of transcribing a recording: <c>transcribed</c> with the note made from it (<c>transcriptionId</c>), or
/// <c>error</c>; <c>processingStats</c> optionally.
/// </summary>
public sealed record UpdateRecordingStatusRequest(string? Status, string? TranscriptionId = null, ProcessingStats? ProcessingStats = null) : IRequestCheck
{
    public void Check(Validation validation) => RecordingsRules.ValidateStatus(this, validation);
}

/// <summary>An upload safely in GridFS.</summary>
public sealed record Stored(ObjectId FileId, long Length, string MimeType);

/// <summary>The fields that come with the audio, from the query string or the multipart form.</summary>
public sealed class RecordingFields(double? duration, string? deviceInfo, string? quality)
{
    public double? Duration { get; private set; } = duration;

    public string? DeviceInfo { get; private set; } = deviceInfo;

    public string? Quality { get; private set; } = quality;

    /// <summary>Takes a form field (unknown names are ignored); false when its value is unusable.</summary>
    public bool TryAdd(string? name, string? value)
    {
        if (value is null)
        {
            return false;
        }

        switch (name)
        {
            case "duration":
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    return false;
                }

                Duration = seconds;
                return true;
            case "deviceInfo":
                DeviceInfo = value;
                return true;
            case "quality":
                Quality = value;
                return true;
            default:
                return true;
        }
    }
}
