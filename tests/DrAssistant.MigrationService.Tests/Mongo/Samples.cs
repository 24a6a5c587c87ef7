using DrAssistant.Shared.Documents;
using MongoDB.Bson;

namespace DrAssistant.MigrationService.Tests.Mongo;

/// <summary>Documents built from the C# model, as the API would write them.</summary>
public static class Samples
{
    /// <summary>Has hex letters, so a GUID written in upper case would show.</summary>
    public static readonly Guid EncounterId = Guid.Parse("3F2C9A1E-7B4D-4E8F-A1B2-C3D4E5F6A7B8");

    /// <summary>Whole milliseconds, the precision of a BSON date, so a round trip is exact.</summary>
    public static readonly DateTime CreatedAt = new(2026, 3, 14, 9, 26, 53, 589, DateTimeKind.Utc);

    public static ClinicalNote MinimalNote() => new()
    {
        Id = ObjectId.GenerateNewId(),
        EncounterId = EncounterId,
        PatientId = Guid.NewGuid(),
        DoctorId = Guid.NewGuid(),
        CreatedAt = CreatedAt,
        UpdatedAt = CreatedAt,
    };

    /// <summary>Every field of the model set, nested objects and arrays included.</summary>
    public static ClinicalNote FullNote() => new()
    {
        Id = ObjectId.GenerateNewId(),
        EncounterId = EncounterId,
        PatientId = Guid.NewGuid(),
        DoctorId = Guid.NewGuid(),
        Status = NoteStatus.Signed,
        NoteType = NoteType.Consultation,
        Content = new NoteContent
        {
            Subjective = new Subjective
            {
                ChiefComplaint = "Chest pain on exertion",
                HistoryOfPresentIllness = "Three weeks of pressure-like pain climbing stairs, relieved by rest.",
                PastMedicalHistory = "Hypertension",
                Medications = "Lisinopril 10 mg daily",
                Allergies = "Penicillin",
                FamilyHistory = "Father: MI at 58",
                SocialHistory = "Former smoker",
                ReviewOfSystems = new ReviewOfSystems
                {
                    Constitutional = "No fever", Cardiovascular = "Exertional chest pain", Respiratory = "No cough",
                    Gastrointestinal = "Normal", Musculoskeletal = "Normal", Neurological = "Normal", Psychiatric = "Anxious",
                    Endocrine = "Normal", Hematologic = "Normal", Allergic = "Penicillin", Skin = "Normal",
                },
            },
            Objective = new Objective
            {
                VitalSigns = new VitalSigns
                {
                    Temperature = 36.8, HeartRate = 88, RespiratoryRate = 16,
                    BloodPressure = new BloodPressure { Systolic = 148, Diastolic = 92 },
                    OxygenSaturation = 97, Weight = 84.5, Height = 178, Bmi = 26.7,
                },
                PhysicalExam = new PhysicalExam
                {
                    General = "Alert", Heent = "Normal", Cardiovascular = "Regular rhythm, no murmur", Respiratory = "Clear",
                    Gastrointestinal = "Soft", Musculoskeletal = "Normal", Neurological = "Intact", Skin = "Warm, dry",
                },
                LabResults = [new LabResult { Test = "Troponin I", Value = "0.01", Unit = "ng/mL", ReferenceRange = "<0.04" }],
                ImagingResults = [new ImagingResult { Study = "Chest X-ray", Findings = "Clear lungs", Impression = "Normal" }],
            },
            Assessment = new Assessment
            {
                Diagnoses = [new Diagnosis { Code = "I20.8", Description = "Stable angina" }],
                DifferentialDiagnoses = ["GERD", "Costochondritis"],
                ClinicalImpression = "Probable stable angina",
            },
            Plan = new Plan
            {
                Diagnostics = ["Exercise stress test"],
                Treatments = ["Lifestyle changes"],
                PatientEducation = ["Call 911 for pain at rest"],
                Referrals = ["Cardiology"],
                Medications = [new PlannedMedication { Name = "Aspirin", Dosage = "81 mg", Frequency = "daily", Route = "oral" }],
                FollowUp = "Two weeks",
            },
        },
        RawTranscription = "Doctor: What brings you in today? Patient: Chest pain when I climb stairs.",
        AiSummary = "Exertional chest pain, likely stable angina.",
        AiConfidenceScore = 0.87,
        SignedBy = Guid.NewGuid(),
        SignedAt = CreatedAt.AddHours(1),
        Metadata = new NoteMetadata
        {
            TemplateUsed = "soap-default",
            CompletionTime = 312.5,
            AiAssisted = true,
            WordCount = 412,
            EditCount = 1,
            EditHistory = [new NoteEdit { EditedAt = CreatedAt.AddMinutes(30), EditedBy = Guid.NewGuid(), Changes = "Added plan" }],
        },
        Tags = ["cardiology", "follow-up"],
        Attachments = [ObjectId.GenerateNewId()],
        CreatedAt = CreatedAt,
        UpdatedAt = CreatedAt.AddHours(1),
    };

    public static VoiceRecording MinimalRecording() => new()
    {
        Id = ObjectId.GenerateNewId(),
        EncounterId = EncounterId,
        PatientId = Guid.NewGuid(),
        DoctorId = Guid.NewGuid(),
        Duration = 30,
        FileSize = 1234,
        MimeType = "audio/webm",
        FileId = ObjectId.GenerateNewId(),
        CreatedAt = CreatedAt,
        UpdatedAt = CreatedAt,
    };

    public static VoiceRecording FullRecording() => new()
    {
        Id = ObjectId.GenerateNewId(),
        EncounterId = EncounterId,
        PatientId = Guid.NewGuid(),
        DoctorId = Guid.NewGuid(),
        Duration = 754.25,
        FileSize = 5_368_709_120,
        MimeType = "audio/wav",
        Status = RecordingStatus.Transcribed,
        TranscriptionId = ObjectId.GenerateNewId(),
        Metadata = new RecordingMetadata
        {
            DeviceInfo = "Chrome 131 on macOS",
            Quality = "high",
            ProcessingStats = new ProcessingStats { TranscriptionTime = 41.2, WordCount = 1830, Confidence = 0.93 },
        },
        RetentionPolicy = new RetentionPolicy { ExpiresAt = CreatedAt.AddYears(7), RetentionReason = "medical record" },
        FileId = ObjectId.GenerateNewId(),
        CreatedAt = CreatedAt,
        UpdatedAt = CreatedAt,
    };
}
