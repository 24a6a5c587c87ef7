using Dapper;
using DrAssistant.MigrationService.Mongo;
using DrAssistant.MigrationService.Tests.Mongo;
using DrAssistant.Seeder.Clinic;
using DrAssistant.Seeder.Demo;
using DrAssistant.Shared.Documents;
using DrAssistant.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MongoDB.Bson;
using MongoDB.Driver;

namespace DrAssistant.Seeder.Tests;

/// <summary>
/// The demo's SOAP notes. What needs no server (one note per encounter, the collection's validator, the plan matching the
/// prescription) is tested everywhere; writing them to MongoDB wherever a server is available, skipped elsewhere.
/// </summary>
public class DemoNotesTests
{
    [Fact]
    public async Task EveryDemoEncounterGetsASoapNoteThatPassesTheCollectionsValidator()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(5.5));

        var notes = await BuildNotesAsync(database, today);

        await using var connection = Seeder.Connect(database);
        var encounters = (await connection.QueryAsync<Guid>("SELECT id FROM encounters")).ToHashSet();
        Assert.Equal(encounters, notes.Select(n => n.EncounterId).ToHashSet());
        Assert.Equal(notes.Count, notes.Select(n => n.Id).Distinct().Count());
        var validator = MongoSchema.ClinicalNotesCollection.Validator!;
        Assert.All(notes, note => Assert.Empty(JsonSchemaChecker.Check(note.ToBsonDocument(), validator)));
        Assert.All(notes, note =>
        {
            Assert.Equal(NoteType.Soap, note.NoteType);
            Assert.NotNull(note.Content?.Subjective?.ChiefComplaint);
            Assert.NotNull(note.Content?.Objective?.VitalSigns?.HeartRate);
            Assert.NotEmpty(note.Content!.Assessment!.Diagnoses);
            Assert.NotNull(note.Content.Plan?.FollowUp);
        });
        Assert.Contains(notes, n => n.Status == NoteStatus.Signed && n.SignedBy == n.DoctorId && n.SignedAt > n.CreatedAt);
        Assert.Contains(notes, n => n.Status == NoteStatus.Draft && n.SignedAt is null);
    }

    [Fact]
    public async Task ANotesPlanListsTheMedicinesPrescribedInItsEncounter()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await Seeder.RunAsync(database, "demo");

        var notes = await BuildNotesAsync(database, DateOnly.FromDateTime(DateTime.UtcNow.AddHours(5.5)));

        await using var connection = Seeder.Connect(database);
        var prescribed = (await connection.QueryAsync<(Guid Encounter, string Medication)>("""
            SELECT p.encounter_id, i.medication_name FROM prescriptions p JOIN prescription_items i ON i.prescription_id = p.id
            """)).ToLookup(r => r.Encounter, r => r.Medication);
        Assert.Contains(notes, n => prescribed[n.EncounterId].Any());
        Assert.All(notes, note => Assert.Equal(
            prescribed[note.EncounterId].Order(StringComparer.Ordinal),
            note.Content!.Plan!.Medications.Select(m => m.Name).Order(StringComparer.Ordinal)));
    }

    private static async Task<List<ClinicalNote>> BuildNotesAsync(TestDatabase database, DateOnly today)
    {
        await using var connections = new SeederConnections(database.CreateDataSource(), mongo: null);
        var calendar = ClinicCalendar.ForZone("Asia/Kolkata");
        var notes = new DemoNotes(connections, calendar, NullLogger<DemoNotes>.Instance);
        return await notes.BuildAsync(42, today, CancellationToken.None);
    }

    [SkippableFact]
    public async Task WithMongoEachDemoEncounterGetsOneValidSoapNoteAndASecondRunAddsNone()
    {
        var server = await MongoServer.RequireAsync();
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        var mongoConnection = server.NewDatabaseConnectionString(out var mongoName);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgresdb"] = database.ConnectionString,
            ["ConnectionStrings:mongodb"] = mongoConnection,
        };
        using var client = new MongoClient(mongoConnection);
        try
        {
            // The migrator installs the collection's validator, so the server itself checks every note.
            Assert.Equal(0, await MigrationService.MigratorApp.RunAsync(["migrate"], TextWriter.Null, new Dictionary<string, string?>(settings)
            {
                ["Logging:LogLevel:Default"] = "Warning",
            }));

            var first = await Seeder.RunAsync(new Dictionary<string, string?>(settings), "demo", "--json");
            var second = await Seeder.RunAsync(new Dictionary<string, string?>(settings), "demo", "--json");

            await using var connection = Seeder.Connect(database);
            var encounters = (await connection.QueryAsync<Guid>("SELECT id FROM encounters")).ToHashSet();
            var notes = await client.GetDatabase(mongoName).GetCollection<ClinicalNote>(ClinicalNote.CollectionName)
                .Find(FilterDefinition<ClinicalNote>.Empty).ToListAsync();

            Assert.Equal(0, first.ExitCode);
            Assert.Equal("written", first.Report.GetProperty("notes").GetProperty("status").GetString());
            Assert.Equal(encounters.Count, notes.Count);
            Assert.Equal(encounters, notes.Select(n => n.EncounterId).ToHashSet());
            Assert.All(notes, n =>
            {
                Assert.Equal(NoteType.Soap, n.NoteType);
                Assert.NotNull(n.Content?.Subjective?.ChiefComplaint);
                Assert.NotNull(n.Content?.Objective?.VitalSigns);
                Assert.NotNull(n.Content?.Plan?.FollowUp);
            });
            Assert.Contains(notes, n => n.Status == NoteStatus.Signed && n.SignedBy == n.DoctorId);

            Assert.Equal(0, second.ExitCode);
            Assert.Equal(0, second.Report.GetProperty("notes").GetProperty("inserted").GetInt32());
            Assert.Equal(notes.Count, await client.GetDatabase(mongoName).GetCollection<ClinicalNote>(ClinicalNote.CollectionName)
                .CountDocumentsAsync(FilterDefinition<ClinicalNote>.Empty));
        }
        finally
        {
            await client.DropDatabaseAsync(mongoName);
        }
    }
}
