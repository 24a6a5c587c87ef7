using Dapper;
using DrAssistant.Api.Notes;
using DrAssistant.Testing;
using MongoDB.Driver;

namespace DrAssistant.Seeder.Tests;

/// <summary>The demo's SOAP notes in MongoDB: run wherever a MongoDB server is available, skipped (with the reason) elsewhere.</summary>
public class DemoNotesTests
{
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
