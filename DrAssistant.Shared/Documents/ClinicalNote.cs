using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace DrAssistant.Shared.Documents;

/// <summary>
/// The documentation of one encounter, stored in the <c>clinicalNotes</c> collection. Field names and BSON types are a
/// contract with the collection's validator (installed by the migration service) and with other readers: each element
/// name is spelled out so that renaming a property can never rename a stored field. UUIDs are lowercase strings, dates are UTC BSON dates,
/// and optional fields are omitted rather than written as null.
/// </summary>
[BsonIgnoreExtraElements]
public sealed class ClinicalNote
{
    public const string CollectionName = "clinicalNotes";

    [BsonId]
    public ObjectId Id { get; set; }

    [BsonElement("encounterId"), BsonRepresentation(BsonType.String)]
    public Guid EncounterId { get; set; }

    [BsonElement("patientId"), BsonRepresentation(BsonType.String)]
    public Guid PatientId { get; set; }

    /// <summary>The author.</summary>
    [BsonElement("doctorId"), BsonRepresentation(BsonType.String)]
    public Guid DoctorId { get; set; }

    [BsonElement("status"), BsonSerializer(typeof(LowercaseEnumSerializer<NoteStatus>))]
    public NoteStatus Status { get; set; } = NoteStatus.Draft;

    [BsonElement("noteType"), BsonSerializer(typeof(LowercaseEnumSerializer<NoteType>))]
    public NoteType NoteType { get; set; } = NoteType.Soap;

    [BsonElement("content"), BsonIgnoreIfNull]
    public NoteContent? Content { get; set; }

    /// <summary>Text transcribed from the visit's recording.</summary>
    [BsonElement("rawTranscription"), BsonIgnoreIfNull]
    public string? RawTranscription { get; set; }

    [BsonElement("aiSummary"), BsonIgnoreIfNull]
    public string? AiSummary { get; set; }

    /// <summary>0 to 1.</summary>
    [BsonElement("aiConfidenceScore"), BsonIgnoreIfNull]
    public double? AiConfidenceScore { get; set; }

    [BsonElement("signedBy"), BsonRepresentation(BsonType.String), BsonIgnoreIfNull]
    public Guid? SignedBy { get; set; }

    [BsonElement("signedAt"), BsonIgnoreIfNull]
    public DateTime? SignedAt { get; set; }

    [BsonElement("metadata"), BsonIgnoreIfNull]
    public NoteMetadata? Metadata { get; set; }

    [BsonElement("tags"), BsonIgnoreIfEmpty]
    public List<string> Tags { get; set; } = [];

    /// <summary>GridFS file ids.</summary>
    [BsonElement("attachments"), BsonIgnoreIfEmpty]
    public List<ObjectId> Attachments { get; set; } = [];

    /// <summary>Set by the application (UTC).</summary>
    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; set; }

    /// <summary>Set by the application (UTC) on every write.</summary>
    [BsonElement("updatedAt")]
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Stored as <c>draft</c>, <c>signed</c>, <c>amended</c>.</summary>
public enum NoteStatus
{
    Draft,
    Signed,
    Amended,
}

/// <summary>Stored as <c>soap</c>, <c>progress</c>, <c>procedure</c>, <c>discharge</c>, <c>referral</c>, <c>consultation</c>.</summary>
public enum NoteType
{
    Soap,
    Progress,
    Procedure,
    Discharge,
    Referral,
    Consultation,
}

/// <summary>A SOAP note.</summary>
[BsonIgnoreExtraElements]
public sealed class NoteContent
{
    [BsonElement("subjective"), BsonIgnoreIfNull]
    public Subjective? Subjective { get; set; }

    [BsonElement("objective"), BsonIgnoreIfNull]
    public Objective? Objective { get; set; }

    [BsonElement("assessment"), BsonIgnoreIfNull]
    public Assessment? Assessment { get; set; }

    [BsonElement("plan"), BsonIgnoreIfNull]
    public Plan? Plan { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class Subjective
{
    [BsonElement("chiefComplaint"), BsonIgnoreIfNull]
    public string? ChiefComplaint { get; set; }

    [BsonElement("historyOfPresentIllness"), BsonIgnoreIfNull]
    public string? HistoryOfPresentIllness { get; set; }

    [BsonElement("pastMedicalHistory"), BsonIgnoreIfNull]
    public string? PastMedicalHistory { get; set; }

    [BsonElement("medications"), BsonIgnoreIfNull]
    public string? Medications { get; set; }

    [BsonElement("allergies"), BsonIgnoreIfNull]
    public string? Allergies { get; set; }

    [BsonElement("familyHistory"), BsonIgnoreIfNull]
    public string? FamilyHistory { get; set; }

    [BsonElement("socialHistory"), BsonIgnoreIfNull]
    public string? SocialHistory { get; set; }

    [BsonElement("reviewOfSystems"), BsonIgnoreIfNull]
    public ReviewOfSystems? ReviewOfSystems { get; set; }
}

/// <summary>Findings keyed by body system.</summary>
[BsonIgnoreExtraElements]
public sealed class ReviewOfSystems
{
    [BsonElement("constitutional"), BsonIgnoreIfNull]
    public string? Constitutional { get; set; }

    [BsonElement("cardiovascular"), BsonIgnoreIfNull]
    public string? Cardiovascular { get; set; }

    [BsonElement("respiratory"), BsonIgnoreIfNull]
    public string? Respiratory { get; set; }

    [BsonElement("gastrointestinal"), BsonIgnoreIfNull]
    public string? Gastrointestinal { get; set; }

    [BsonElement("musculoskeletal"), BsonIgnoreIfNull]
    public string? Musculoskeletal { get; set; }

    [BsonElement("neurological"), BsonIgnoreIfNull]
    public string? Neurological { get; set; }

    [BsonElement("psychiatric"), BsonIgnoreIfNull]
    public string? Psychiatric { get; set; }

    [BsonElement("endocrine"), BsonIgnoreIfNull]
    public string? Endocrine { get; set; }

    [BsonElement("hematologic"), BsonIgnoreIfNull]
    public string? Hematologic { get; set; }

    [BsonElement("allergic"), BsonIgnoreIfNull]
    public string? Allergic { get; set; }

    [BsonElement("skin"), BsonIgnoreIfNull]
    public string? Skin { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class Objective
{
    [BsonElement("vitalSigns"), BsonIgnoreIfNull]
    public VitalSigns? VitalSigns { get; set; }

    [BsonElement("physicalExam"), BsonIgnoreIfNull]
    public PhysicalExam? PhysicalExam { get; set; }

    [BsonElement("labResults"), BsonIgnoreIfEmpty]
    public List<LabResult> LabResults { get; set; } = [];

    [BsonElement("imagingResults"), BsonIgnoreIfEmpty]
    public List<ImagingResult> ImagingResults { get; set; } = [];
}

/// <summary>All numbers; units are the clinic's (°C, beats/min, breaths/min, mmHg, %, kg, cm, kg/m²).</summary>
[BsonIgnoreExtraElements]
public sealed class VitalSigns
{
    [BsonElement("temperature"), BsonIgnoreIfNull]
    public double? Temperature { get; set; }

    [BsonElement("heartRate"), BsonIgnoreIfNull]
    public double? HeartRate { get; set; }

    [BsonElement("respiratoryRate"), BsonIgnoreIfNull]
    public double? RespiratoryRate { get; set; }

    [BsonElement("bloodPressure"), BsonIgnoreIfNull]
    public BloodPressure? BloodPressure { get; set; }

    [BsonElement("oxygenSaturation"), BsonIgnoreIfNull]
    public double? OxygenSaturation { get; set; }

    [BsonElement("weight"), BsonIgnoreIfNull]
    public double? Weight { get; set; }

    [BsonElement("height"), BsonIgnoreIfNull]
    public double? Height { get; set; }

    [BsonElement("bmi"), BsonIgnoreIfNull]
    public double? Bmi { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class BloodPressure
{
    [BsonElement("systolic")]
    public double Systolic { get; set; }

    [BsonElement("diastolic")]
    public double Diastolic { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class PhysicalExam
{
    [BsonElement("general"), BsonIgnoreIfNull]
    public string? General { get; set; }

    [BsonElement("heent"), BsonIgnoreIfNull]
    public string? Heent { get; set; }

    [BsonElement("cardiovascular"), BsonIgnoreIfNull]
    public string? Cardiovascular { get; set; }

    [BsonElement("respiratory"), BsonIgnoreIfNull]
    public string? Respiratory { get; set; }

    [BsonElement("gastrointestinal"), BsonIgnoreIfNull]
    public string? Gastrointestinal { get; set; }

    [BsonElement("musculoskeletal"), BsonIgnoreIfNull]
    public string? Musculoskeletal { get; set; }

    [BsonElement("neurological"), BsonIgnoreIfNull]
    public string? Neurological { get; set; }

    [BsonElement("skin"), BsonIgnoreIfNull]
    public string? Skin { get; set; }
}

/// <summary>One laboratory result as written in the note (the schema leaves the shape of these entries open).</summary>
[BsonIgnoreExtraElements]
public sealed class LabResult
{
    [BsonElement("test")]
    public required string Test { get; set; }

    [BsonElement("value"), BsonIgnoreIfNull]
    public string? Value { get; set; }

    [BsonElement("unit"), BsonIgnoreIfNull]
    public string? Unit { get; set; }

    [BsonElement("referenceRange"), BsonIgnoreIfNull]
    public string? ReferenceRange { get; set; }

    /// <summary>e.g. <c>high</c>, <c>low</c>, <c>critical</c>.</summary>
    [BsonElement("flag"), BsonIgnoreIfNull]
    public string? Flag { get; set; }
}

/// <summary>One imaging study as written in the note (the schema leaves the shape of these entries open).</summary>
[BsonIgnoreExtraElements]
public sealed class ImagingResult
{
    [BsonElement("study")]
    public required string Study { get; set; }

    [BsonElement("findings"), BsonIgnoreIfNull]
    public string? Findings { get; set; }

    [BsonElement("impression"), BsonIgnoreIfNull]
    public string? Impression { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class Assessment
{
    [BsonElement("diagnoses"), BsonIgnoreIfEmpty]
    public List<Diagnosis> Diagnoses { get; set; } = [];

    [BsonElement("differentialDiagnoses"), BsonIgnoreIfEmpty]
    public List<string> DifferentialDiagnoses { get; set; } = [];

    [BsonElement("clinicalImpression"), BsonIgnoreIfNull]
    public string? ClinicalImpression { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class Diagnosis
{
    /// <summary>A coded diagnosis (e.g. ICD-10), when known.</summary>
    [BsonElement("code"), BsonIgnoreIfNull]
    public string? Code { get; set; }

    [BsonElement("description")]
    public required string Description { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class Plan
{
    [BsonElement("diagnostics"), BsonIgnoreIfEmpty]
    public List<string> Diagnostics { get; set; } = [];

    [BsonElement("treatments"), BsonIgnoreIfEmpty]
    public List<string> Treatments { get; set; } = [];

    [BsonElement("patientEducation"), BsonIgnoreIfEmpty]
    public List<string> PatientEducation { get; set; } = [];

    [BsonElement("referrals"), BsonIgnoreIfEmpty]
    public List<string> Referrals { get; set; } = [];

    [BsonElement("medications"), BsonIgnoreIfEmpty]
    public List<PlannedMedication> Medications { get; set; } = [];

    [BsonElement("followUp"), BsonIgnoreIfNull]
    public string? FollowUp { get; set; }
}

/// <summary>A medication in the plan, as written in the note (the prescription itself lives in PostgreSQL).</summary>
[BsonIgnoreExtraElements]
public sealed class PlannedMedication
{
    [BsonElement("name")]
    public required string Name { get; set; }

    [BsonElement("dosage"), BsonIgnoreIfNull]
    public string? Dosage { get; set; }

    [BsonElement("frequency"), BsonIgnoreIfNull]
    public string? Frequency { get; set; }

    [BsonElement("route"), BsonIgnoreIfNull]
    public string? Route { get; set; }

    [BsonElement("duration"), BsonIgnoreIfNull]
    public string? Duration { get; set; }

    [BsonElement("instructions"), BsonIgnoreIfNull]
    public string? Instructions { get; set; }
}

[BsonIgnoreExtraElements]
public sealed class NoteMetadata
{
    [BsonElement("templateUsed"), BsonIgnoreIfNull]
    public string? TemplateUsed { get; set; }

    /// <summary>Seconds the doctor spent completing the note.</summary>
    [BsonElement("completionTime"), BsonIgnoreIfNull]
    public double? CompletionTime { get; set; }

    [BsonElement("aiAssisted"), BsonIgnoreIfNull]
    public bool? AiAssisted { get; set; }

    [BsonElement("wordCount"), BsonIgnoreIfNull]
    public int? WordCount { get; set; }

    [BsonElement("editCount"), BsonIgnoreIfNull]
    public int? EditCount { get; set; }

    [BsonElement("editHistory"), BsonIgnoreIfEmpty]
    public List<NoteEdit> EditHistory { get; set; } = [];
}

/// <summary>One edit of a note: when, by whom, what.</summary>
[BsonIgnoreExtraElements]
public sealed class NoteEdit
{
    [BsonElement("editedAt")]
    public DateTime EditedAt { get; set; }

    [BsonElement("editedBy"), BsonRepresentation(BsonType.String)]
    public Guid EditedBy { get; set; }

    [BsonElement("changes"), BsonIgnoreIfNull]
    public string? Changes { get; set; }

    /// <summary><c>update</c>, <c>sign</c> or <c>amend</c> (a field the schema leaves open, so readers can tell edits apart).</summary>
    [BsonElement("action"), BsonIgnoreIfNull]
    public string? Action { get; set; }

    /// <summary>The content the edit replaced; kept for an amendment of a signed note, so the signed text is never lost.</summary>
    [BsonElement("previousContent"), BsonIgnoreIfNull]
    public NoteContent? PreviousContent { get; set; }
}
