using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace DrAssistant.Shared.Documents;

/// <summary>
/// Metadata of a recorded doctor–patient conversation, stored in <c>voiceRecordings</c>; the audio itself is the
/// GridFS file <see cref="FileId"/> in bucket <c>fs</c>. Same storage rules as <see cref="ClinicalNote"/>.
/// </summary>
[BsonIgnoreExtraElements]
public sealed class VoiceRecording
{
    public const string CollectionName = "voiceRecordings";

    /// <summary>The GridFS bucket holding the audio.</summary>
    public const string GridFsBucketName = "fs";

    [BsonId]
    public ObjectId Id { get; set; }

    [BsonElement("encounterId"), BsonRepresentation(BsonType.String)]
    public Guid EncounterId { get; set; }

    [BsonElement("patientId"), BsonRepresentation(BsonType.String)]
    public Guid PatientId { get; set; }

    [BsonElement("doctorId"), BsonRepresentation(BsonType.String)]
    public Guid DoctorId { get; set; }

    /// <summary>Seconds, more than 0.</summary>
    [BsonElement("duration")]
    public double Duration { get; set; }

    /// <summary>Bytes, more than 0; a BSON long whatever the size.</summary>
    [BsonElement("fileSize")]
    public long FileSize { get; set; }

    /// <summary>e.g. <c>audio/webm</c>, <c>audio/wav</c>, <c>audio/mpeg</c>.</summary>
    [BsonElement("mimeType")]
    public required string MimeType { get; set; }

    [BsonElement("status"), BsonSerializer(typeof(LowercaseEnumSerializer<RecordingStatus>))]
    public RecordingStatus Status { get; set; } = RecordingStatus.Processing;

    /// <summary>The clinical note made from this recording.</summary>
    [BsonElement("transcriptionId"), BsonIgnoreIfNull]
    public ObjectId? TranscriptionId { get; set; }

    [BsonElement("metadata"), BsonIgnoreIfNull]
    public RecordingMetadata? Metadata { get; set; }

    [BsonElement("retentionPolicy"), BsonIgnoreIfNull]
    public RetentionPolicy? RetentionPolicy { get; set; }

    [BsonElement("fileId")]
    public ObjectId FileId { get; set; }

    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; set; }

    [BsonElement("updatedAt")]
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Stored as <c>processing</c>, <c>transcribed</c>, <c>error</c>.</summary>
public enum RecordingStatus
{
    Processing,
    Transcribed,
    Error,
}

[BsonIgnoreExtraElements]
public sealed class RecordingMetadata
{
    [BsonElement("deviceInfo"), BsonIgnoreIfNull]
    public string? DeviceInfo { get; set; }

    [BsonElement("quality"), BsonIgnoreIfNull]
    public string? Quality { get; set; }

    [BsonElement("processingStats"), BsonIgnoreIfNull]
    public ProcessingStats? ProcessingStats { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class ProcessingStats
{
    /// <summary>Seconds the transcription took.</summary>
    [BsonElement("transcriptionTime"), BsonIgnoreIfNull]
    public double? TranscriptionTime { get; set; }

    [BsonElement("wordCount"), BsonIgnoreIfNull]
    public int? WordCount { get; set; }

    /// <summary>0 to 1.</summary>
    [BsonElement("confidence"), BsonIgnoreIfNull]
    public double? Confidence { get; set; }
}

/// <summary>
/// When the server may remove the recording's metadata (a TTL index on <c>retentionPolicy.expiresAt</c>). The TTL
/// does not remove the GridFS audio: whoever deletes a recording deletes its file too.
/// </summary>
[BsonIgnoreExtraElements]
public sealed class RetentionPolicy
{
    [BsonElement("expiresAt"), BsonIgnoreIfNull]
    public DateTime? ExpiresAt { get; set; }

    [BsonElement("retentionReason"), BsonIgnoreIfNull]
    public string? RetentionReason { get; set; }
}
