using Bogus;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Shared.Documents;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Seeder.Demo;

/// <summary>
/// SOAP notes in MongoDB (<c>clinicalNotes</c>, the API's <see cref="ClinicalNote"/> document) for the demo's
/// encounters. The encounters are read back from PostgreSQL rather than rebuilt, so a note always describes the
/// encounter that is stored, whichever day the demo was first written. An encounter that already has a note (from an
/// earlier run, or written through the API) is left alone; note ids come from the encounter ids, so even two seeders
/// racing cannot write two demo notes for one encounter.
/// </summary>
internal sealed class DemoNotes(SeederConnections connections, ClinicCalendar calendar, ILogger<DemoNotes> logger)
{
    private sealed record EncounterInfo(
        Guid Id, Guid PatientId, Guid DoctorId, DateTime Start, DateTime? End, string? Complaint, string Specialty,
        DateOnly DateOfBirth, string Gender, string[]? Allergies);

    private sealed record MedicationInfo(string Name, string Dosage, string Frequency, string? Duration, string? Instructions);

    public async Task<NotesReport> WriteAsync(int seed, DateOnly today, CancellationToken cancellationToken)
    {
        if (connections.Mongo is not { } mongo)
        {
            logger.LogInformation("MongoDB is not configured (ConnectionStrings:mongodb or MONGODB_URI); clinical notes are skipped.");
            return new NotesReport { Status = "skipped", Reason = "MongoDB is not configured (ConnectionStrings:mongodb)." };
        }

        var notes = await BuildAsync(seed, today, cancellationToken);
        var collection = mongo.GetCollection<ClinicalNote>(ClinicalNote.CollectionName);
        var encounterIds = notes.Select(n => n.EncounterId).ToList();
        var documented = (await (await collection.DistinctAsync(
                n => n.EncounterId, Builders<ClinicalNote>.Filter.In(n => n.EncounterId, encounterIds), cancellationToken: cancellationToken))
            .ToListAsync(cancellationToken)).ToHashSet();

        var missing = notes.Where(n => !documented.Contains(n.EncounterId)).ToList();
        var inserted = 0;
        if (missing.Count > 0)
        {
            try
            {
                await collection.InsertManyAsync(missing, new InsertManyOptions { IsOrdered = false }, cancellationToken);
                inserted = missing.Count;
            }
            catch (MongoBulkWriteException<ClinicalNote> ex) when (ex.WriteErrors.All(e => e.Category == ServerErrorCategory.DuplicateKey))
            {
                // Another seeder wrote some of the same notes (same ids) at the same moment: theirs stand.
                inserted = missing.Count - ex.WriteErrors.Count;
            }
        }

        logger.LogInformation("Clinical notes: {Inserted} written, {Existing} already there.", inserted, documented.Count);
        return new NotesReport
        {
            Status = inserted > 0 ? "written" : "already-there",
            Inserted = inserted,
            AlreadyThere = documented.Count,
        };
    }

    /// <summary>A SOAP note for every encounter of this seed's demo that is stored in PostgreSQL (none is written here).</summary>
    public async Task<List<ClinicalNote>> BuildAsync(int seed, DateOnly today, CancellationToken cancellationToken)
    {
        var ids = Enumerable.Range(0, DemoClinic.MaxEncounters).Select(i => DemoClinic.EncounterId(seed, i)).ToArray();
        var encounters = await EncountersAsync(ids, cancellationToken);
        var medications = await MedicationsAsync(ids, cancellationToken);
        var diagnostics = await DiagnosticsAsync(ids, cancellationToken);
        return [.. encounters.Select(e => Note(seed, today, e, [.. medications[e.Id]], [.. diagnostics[e.Id]]))];
    }

    private async Task<List<EncounterInfo>> EncountersAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var connection = await connections.RequirePostgres().OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT e.id, e.patient_id, e.doctor_id, e.start_time, e.end_time, e.chief_complaint,
                   coalesce(u.specialty, 'General Medicine'), p.date_of_birth, p.gender, p.allergies
            FROM encounters e
            JOIN patients p ON p.id = e.patient_id
            JOIN users u ON u.id = e.doctor_id
            WHERE e.id = ANY(@ids) AND e.status <> 'cancelled'
            ORDER BY e.start_time, e.id
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        var result = new List<EncounterInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new EncounterInfo(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetDateTime(3),
                reader.IsDBNull(4) ? null : reader.GetDateTime(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6), reader.GetFieldValue<DateOnly>(7), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<string[]>(9)));
        }

        return result;
    }

    private async Task<ILookup<Guid, MedicationInfo>> MedicationsAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var connection = await connections.RequirePostgres().OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT p.encounter_id, i.medication_name, i.dosage, i.frequency, i.duration, i.instructions
            FROM prescriptions p
            JOIN prescription_items i ON i.prescription_id = p.id
            WHERE p.encounter_id = ANY(@ids) AND p.status <> 'cancelled'
            ORDER BY p.encounter_id, i.medication_name
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        var rows = new List<(Guid, MedicationInfo)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), new MedicationInfo(reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))));
        }

        return rows.ToLookup(r => r.Item1, r => r.Item2);
    }

    private async Task<ILookup<Guid, string>> DiagnosticsAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var connection = await connections.RequirePostgres().OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT o.encounter_id, i.item_name
            FROM orders o
            JOIN order_items i ON i.order_id = o.id
            WHERE o.encounter_id = ANY(@ids) AND o.status <> 'cancelled'
            ORDER BY o.encounter_id, i.item_name
            """, connection);
        command.Parameters.AddWithValue("ids", ids);
        var rows = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return rows.ToLookup(r => r.Item1, r => r.Item2);
    }

    private ClinicalNote Note(int seed, DateOnly today, EncounterInfo encounter, List<MedicationInfo> medications, List<string> diagnostics)
    {
        // Each note draws from a stream of its own, named by the encounter, so notes do not depend on each other.
        var random = new Randomizer(seed ^ BitConverter.ToInt32(encounter.Id.ToByteArray(), 0));
        var scenario = Catalogue.ForComplaint(encounter.Complaint);
        var ageYears = (today.DayNumber - encounter.DateOfBirth.DayNumber) / 365;
        var child = ageYears < 16;
        var created = encounter.End ?? encounter.Start.AddMinutes(10);
        var finishedBeforeToday = encounter.End is not null && calendar.LocalDate(encounter.Start) < today;
        var status = encounter.End is null ? NoteStatus.Draft
            : finishedBeforeToday ? (random.Bool(0.08f) ? NoteStatus.Amended : NoteStatus.Signed)
            : random.Bool(0.5f) ? NoteStatus.Signed : NoteStatus.Draft;
        DateTime? signedAt = status == NoteStatus.Draft ? null : created.AddMinutes(random.Int(5, 40));
        var aiAssisted = random.Bool(0.6f);

        var content = new NoteContent
        {
            Subjective = new Subjective
            {
                ChiefComplaint = encounter.Complaint,
                HistoryOfPresentIllness = scenario?.History ?? encounter.Complaint,
                PastMedicalHistory = child ? "Born at term; immunisations up to date." : random.ArrayElement(
                    ["No significant past illness.", "Hypertension for 5 years.", "Type 2 diabetes for 6 years.", "Appendicectomy in 2012."]),
                Medications = medications.Count == 0 ? "None." : string.Join("; ", medications.Select(m => $"{m.Name} {m.Dosage}")),
                Allergies = encounter.Allergies switch
                {
                    null => "Not recorded.",
                    { Length: 0 } => "No known drug allergies.",
                    var list => string.Join(", ", list),
                },
                FamilyHistory = random.ArrayElement(["Father diabetic.", "Mother hypertensive.", "Nothing significant."]),
                SocialHistory = child ? "Lives with parents; attends school." : random.ArrayElement(
                    ["Office worker; vegetarian; no tobacco or alcohol.", "Shopkeeper; occasional alcohol.", "Retired teacher; walks daily.", "Software engineer; sedentary."]),
                ReviewOfSystems = ReviewOf(scenario),
            },
            Objective = new Objective
            {
                VitalSigns = Vitals(random, child, ageYears, scenario),
                PhysicalExam = Exam(scenario),
            },
            Assessment = new Assessment
            {
                Diagnoses = scenario is null ? [] : [new Diagnosis { Code = scenario.DiagnosisCode, Description = scenario.Diagnosis }],
                DifferentialDiagnoses = scenario is null ? [] : [.. scenario.Differentials],
                ClinicalImpression = scenario is null ? "Assessment pending." : $"{scenario.Diagnosis}. {scenario.ExamFinding}",
            },
            Plan = new Plan
            {
                Diagnostics = diagnostics,
                Treatments = medications.Count == 0 ? ["Supportive care."] : [.. medications.Select(m => $"{m.Name} {m.Dosage} {m.Frequency}")],
                PatientEducation = scenario is null ? [] : [scenario.Education],
                Referrals = [.. diagnostics.Where(d => d.StartsWith("Referral", StringComparison.Ordinal))],
                Medications = [.. medications.Select(m => new PlannedMedication
                {
                    Name = m.Name, Dosage = m.Dosage, Frequency = m.Frequency, Duration = m.Duration, Instructions = m.Instructions,
                })],
                FollowUp = scenario?.FollowUp ?? "As needed.",
            },
        };

        var note = new ClinicalNote
        {
            Id = DeterministicId.ObjectIdFor(created, $"{seed}/note/{encounter.Id}"),
            EncounterId = encounter.Id,
            PatientId = encounter.PatientId,
            DoctorId = encounter.DoctorId,
            Status = status,
            NoteType = NoteType.Soap,
            Content = content,
            RawTranscription = aiAssisted
                ? $"Doctor: What brings you in today? Patient: {encounter.Complaint}. Doctor: Since when? Patient: {scenario?.History ?? "A few days."}"
                : null,
            AiSummary = aiAssisted && scenario is not null ? $"{scenario.Diagnosis}; {scenario.FollowUp}" : null,
            AiConfidenceScore = aiAssisted ? Math.Round(random.Double(0.78, 0.97), 2) : null,
            SignedBy = signedAt is null ? null : encounter.DoctorId,
            SignedAt = signedAt,
            Tags = scenario is null ? [encounter.Specialty.ToLowerInvariant()] : [scenario.Specialty.ToLowerInvariant(), scenario.DiagnosisCode],
            CreatedAt = created,
            UpdatedAt = signedAt ?? created,
        };

        var words = new[] { content.Subjective.HistoryOfPresentIllness, content.Assessment.ClinicalImpression, content.Plan.FollowUp }
            .Sum(text => text?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0);
        note.Metadata = new NoteMetadata
        {
            TemplateUsed = $"SOAP - {encounter.Specialty}",
            CompletionTime = random.Int(120, 900),
            AiAssisted = aiAssisted,
            WordCount = words,
            EditCount = status == NoteStatus.Amended ? 1 : 0,
            EditHistory = status == NoteStatus.Amended
                ? [new NoteEdit { EditedAt = signedAt!.Value.AddHours(20), EditedBy = encounter.DoctorId, Changes = "Added the lab results to the plan." }]
                : [],
        };
        if (status == NoteStatus.Amended)
        {
            note.UpdatedAt = signedAt!.Value.AddHours(20);
        }

        return note;
    }

    private static ReviewOfSystems ReviewOf(Scenario? scenario)
    {
        var review = new ReviewOfSystems
        {
            Constitutional = "No weight loss.",
            Cardiovascular = "No chest pain or palpitations.",
            Respiratory = "No breathlessness.",
            Gastrointestinal = "No abdominal pain.",
            Musculoskeletal = "No joint swelling.",
            Neurological = "No weakness.",
            Skin = "No rash.",
        };
        switch (scenario?.ExamSystem)
        {
            case "constitutional": review.Constitutional = scenario.ChiefComplaint; break;
            case "cardiovascular": review.Cardiovascular = scenario.ChiefComplaint; break;
            case "respiratory": review.Respiratory = scenario.ChiefComplaint; break;
            case "gastrointestinal": review.Gastrointestinal = scenario.ChiefComplaint; break;
            case "musculoskeletal": review.Musculoskeletal = scenario.ChiefComplaint; break;
            case "neurological": review.Neurological = scenario.ChiefComplaint; break;
            case "skin": review.Skin = scenario.ChiefComplaint; break;
            case "endocrine": review.Endocrine = scenario.ChiefComplaint; break;
            default: break;
        }

        return review;
    }

    private static PhysicalExam Exam(Scenario? scenario)
    {
        var exam = new PhysicalExam
        {
            General = "Alert, oriented, comfortable.",
            Heent = "No pallor, icterus or lymphadenopathy.",
            Cardiovascular = "S1 S2 normal, no murmur.",
            Respiratory = "Chest clear, equal air entry.",
            Gastrointestinal = "Soft, non-tender.",
            Musculoskeletal = "Normal range of movement.",
            Neurological = "No focal deficit.",
            Skin = "Normal.",
        };
        switch (scenario?.ExamSystem)
        {
            case "cardiovascular": exam.Cardiovascular = scenario.ExamFinding; break;
            case "respiratory": exam.Respiratory = scenario.ExamFinding; break;
            case "gastrointestinal": exam.Gastrointestinal = scenario.ExamFinding; break;
            case "musculoskeletal": exam.Musculoskeletal = scenario.ExamFinding; break;
            case "neurological": exam.Neurological = scenario.ExamFinding; break;
            case "skin": exam.Skin = scenario.ExamFinding; break;
            case not null: exam.General = scenario.ExamFinding; break;
            default: break;
        }

        return exam;
    }

    private static VitalSigns Vitals(Randomizer random, bool child, int ageYears, Scenario? scenario)
    {
        var feverish = scenario?.ExamFinding.Contains("ebrile", StringComparison.Ordinal) == true
            || scenario?.ChiefComplaint.Contains("ever", StringComparison.Ordinal) == true;
        var hypertensive = scenario?.DiagnosisCode == "I10";
        var height = child ? 60 + (ageYears * 6.5) + random.Int(-5, 5) : random.Int(150, 182);
        var weight = child ? 4 + (ageYears * 2.8) + random.Int(-2, 2) : random.Int(48, 92);
        return new VitalSigns
        {
            Temperature = feverish ? Math.Round(random.Double(38.0, 39.2), 1) : Math.Round(random.Double(36.5, 37.2), 1),
            HeartRate = child ? random.Int(85, 120) : random.Int(64, 96),
            RespiratoryRate = child ? random.Int(20, 30) : random.Int(14, 20),
            BloodPressure = child ? null : hypertensive
                ? new BloodPressure { Systolic = random.Int(145, 160), Diastolic = random.Int(92, 100) }
                : new BloodPressure { Systolic = random.Int(108, 134), Diastolic = random.Int(68, 86) },
            OxygenSaturation = random.Int(95, 99),
            Weight = weight,
            Height = height,
            Bmi = Math.Round(weight / Math.Pow(height / 100, 2), 1),
        };
    }
}
