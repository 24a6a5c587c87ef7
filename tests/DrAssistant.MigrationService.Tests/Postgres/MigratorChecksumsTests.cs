using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DrAssistant.MigrationService.Tests.Postgres;

/// <summary>
/// A build's checksums are recorded (<c>schema_checksums</c>) so that its runs with nothing to do need not generate
/// the migrations' SQL, and are trusted for nothing more: an edited migration is caught every time, however the edit
/// got into the build.
/// </summary>
public sealed class MigratorChecksumsTests(ITestOutputHelper output)
{
    private const string MainAssembly = "DrAssistant.MigrationService.dll";

    [Fact]
    public async Task TheFirstRunOfABuildGeneratesItsSqlAndRecordsItsChecksumsAndItsNextRunsOnlyReadThem()
    {
        await using var database = await Db.NewAsync();

        var first = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var second = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var fullRun = await Migrator.RunAsync(database.ConnectionString, NoShortcut(), "migrate", "--json");

        Assert.Equal("generated", Checksums(first));
        Assert.True(first.Json.GetProperty("phasesMs").TryGetProperty("catalog", out _));
        foreach (var again in new[] { second, fullRun })
        {
            Assert.Equal(0, again.ExitCode);
            Assert.Equal("nothing-to-do", again.Json.GetProperty("status").GetString());
            Assert.Equal("recorded", Checksums(again));
            Assert.False(again.Json.GetProperty("phasesMs").TryGetProperty("catalog", out _), "no SQL generated");
        }

        Assert.Equal(1, await Db.ScalarAsync<int>(database, "SELECT count(*) FROM schema_checksums"));
        Assert.Equal(Db.AllVersions, await Db.ScalarAsync<long[]>(database, "SELECT array_agg((v ->> 'version')::bigint ORDER BY (v ->> 'version')::bigint) FROM schema_checksums, jsonb_array_elements(versions) v"));
    }

    [Fact]
    public async Task TheShortcutReportsARunWithNothingToDoExactlyAsTheFullRunDoes()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database);

        var shortcut = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var fullRun = await Migrator.RunAsync(database.ConnectionString, NoShortcut(), "migrate", "--json");

        // Built nothing else: one connection, the lock with the own tables' check, the history with the checksums.
        Assert.Equal(["connect", "history", "lock"], shortcut.Json.GetProperty("phasesMs").EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("bookkeeping", fullRun.Json.GetProperty("phasesMs").EnumerateObject().Select(p => p.Name));
        Assert.Equal(WithoutTimings(fullRun), WithoutTimings(shortcut));
    }

    [Fact]
    public async Task DeletingTheRecordedChecksumsOnlyMakesTheNextRunGenerateTheSqlAndRecordThemAgain()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database);
        await Db.ExecuteAsync(database, "DELETE FROM schema_checksums");

        var regenerated = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var next = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.Equal(0, regenerated.ExitCode);
        Assert.Equal("nothing-to-do", regenerated.Json.GetProperty("status").GetString());
        Assert.Equal("generated", Checksums(regenerated));
        Assert.Equal("recorded", Checksums(next));
    }

    [Fact]
    public async Task ARecordedHistoryEditedAfterTheBuildsChecksumsWereRecordedStopsEveryRunWithFour()
    {
        await using var database = await Db.NewAsync();
        await Db.MigrateAsync(database);
        await Db.ExecuteAsync(database, "UPDATE schema_history SET checksum = repeat('0', 64) WHERE version = 1");

        var first = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");
        var second = await Migrator.RunAsync(database.ConnectionString, "migrate", "--json");

        Assert.All(new[] { first, second }, run => Assert.Equal(4, run.ExitCode));
        // Judged on the SQL itself, never on the recorded checksums alone.
        Assert.All(new[] { first, second }, run => Assert.Equal("generated", Checksums(run)));
    }

    [Fact]
    public async Task AMigrationEditedInsideTheBuildIsCaughtEveryTimeThoughTheBuildKeepsItsMvidAndThePreviousBuildsChecksumsAreRecorded()
    {
        await using var database = await Db.NewAsync();
        // The build as it is: its checksums recorded by its first run, confirmed by its second.
        await Db.MigrateAsync(database);
        Assert.Equal("recorded", Checksums(await Migrator.RunAsync(database.ConnectionString, "migrate", "--json")));
        // The same build with one migration's SQL changed inside the binary (as an IL rewriter or a tampered file would):
        // a comment every table's id column gets, so version 1 yields other SQL. Its MVID does not change, so a build
        // identity made of MVIDs would take the recorded checksums for its own and let it through (this test then fails
        // with exit 0); the identity hashes the file.
        var original = typeof(MigratorApp).Assembly.Location;
        var edited = EditedBuild(
            "Identifier of the row, generated by the database.",
            "Identifier of the row, generated by the DATABASE.");
        try
        {
            Assert.Equal(Mvid(original), Mvid(edited));

            var first = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"], migrator: edited);
            var second = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"], migrator: edited);
            var originalStillFine = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"]);
            var accepted = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--accept-changes", "--json"], migrator: edited);
            var editedAfterAccepting = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"], migrator: edited);
            var originalAfterAccepting = await Migrator.RunProcessAsync(database.ConnectionString, ["migrate", "--json"]);

            output.WriteLine($"edited build: exit {first.ExitCode}, {second.ExitCode}; original: exit {originalStillFine.ExitCode}; " +
                             $"after accepting the edit: edited {editedAfterAccepting.ExitCode}, original {originalAfterAccepting.ExitCode}");
            foreach (var refused in new[] { first, second })
            {
                Assert.True(refused.ExitCode == 4, refused.Errors);
                Assert.Equal("validation-failed", refused.Json.GetProperty("status").GetString());
                Assert.Contains(refused.Json.GetProperty("problems").EnumerateArray(),
                    p => p.GetString()!.StartsWith("Version 1 ", StringComparison.Ordinal) && p.GetString()!.Contains("edited", StringComparison.Ordinal));
            }

            Assert.Equal(0, originalStillFine.ExitCode);
            Assert.Equal("recorded", Checksums(originalStillFine));
            Assert.Equal(0, accepted.ExitCode);
            Assert.Equal(0, editedAfterAccepting.ExitCode);
            Assert.Equal("recorded", Checksums(editedAfterAccepting));
            // Going back to the original SQL is an edit too.
            Assert.Equal(4, originalAfterAccepting.ExitCode);
        }
        finally
        {
            RemoveBuild(edited);
        }
    }

    [Fact]
    public void TheBuildIdentityIsTheSameForTheSameBuildAndSettingsAndChangesWithTheSchemaTheSqlIsQualifiedWith()
    {
        var migrations = typeof(MigrationService.Postgres.Migrations.DrMigration).Assembly;

        var once = MigrationService.Postgres.BuildIdentity.Of(migrations, "public");
        var again = MigrationService.Postgres.BuildIdentity.Of(migrations, "public");
        var otherSchema = MigrationService.Postgres.BuildIdentity.Of(migrations, "clinic");

        Assert.Equal(once, again);
        Assert.NotEqual(once, otherSchema);
        Assert.Matches("^[0-9a-f]{64}$", once);
    }

    private static Dictionary<string, string?> NoShortcut() => new() { ["Migrator:Shortcut"] = "false" };

    private static string? Checksums(MigratorResult result) =>
        result.Json.GetProperty("postgres").TryGetProperty("checksums", out var source) ? source.GetString() : null;

    private static string WithoutTimings(MigratorResult result)
    {
        var json = JsonNode.Parse(result.Output)!.AsObject();
        json.Remove("durationMs");
        json.Remove("phasesMs");
        json.Remove("lockWaitMs");
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static Guid Mvid(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }

    /// <summary>
    /// A copy of this build (its files linked, not copied) whose main assembly has <paramref name="from"/> replaced by
    /// <paramref name="to"/>, a string literal of the same length, in place.
    /// </summary>
    private static string EditedBuild(string from, string to)
    {
        var source = Path.GetDirectoryName(typeof(MigratorApp).Assembly.Location)!;
        var directory = Directory.CreateTempSubdirectory("drassistant-edited-build-").FullName;
        foreach (var entry in Directory.EnumerateFileSystemEntries(source).Where(e => Path.GetFileName(e) != MainAssembly))
        {
            var link = Path.Combine(directory, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                Directory.CreateSymbolicLink(link, entry);
            }
            else
            {
                File.CreateSymbolicLink(link, entry);
            }
        }

        var bytes = File.ReadAllBytes(Path.Combine(source, MainAssembly));
        // String literals are stored as UTF-16 in the metadata.
        var find = Encoding.Unicode.GetBytes(from);
        var at = bytes.AsSpan().IndexOf(find);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(find) < 0, $"'{from}' should be in the assembly exactly once");
        Encoding.Unicode.GetBytes(to).CopyTo(bytes, at);
        var edited = Path.Combine(directory, MainAssembly);
        File.WriteAllBytes(edited, bytes);
        return edited;
    }

    private static void RemoveBuild(string mainAssembly)
    {
        var directory = Path.GetDirectoryName(mainAssembly)!;
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is not null)
            {
                Directory.Delete(entry);
            }
            else
            {
                File.Delete(entry);
            }
        }

        Directory.Delete(directory);
    }
}
