using Dapper;
using DrAssistant.Seeder.Cli;

namespace DrAssistant.Seeder.Tests;

/// <summary><c>demo</c> never writes its published logins into someone's real data, nor outside Development unless told.</summary>
public class DemoRefusalTests
{
    [Fact]
    public async Task ADatabaseHoldingAUserTheDemoDidNotCreateIsRefusedAndNothingIsWritten()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await using (var connection = Seeder.Connect(database))
        {
            await connection.ExecuteAsync("""
                INSERT INTO users (username, email, full_name, role, password_hash) VALUES ('real.admin', 'it@hospital.example', 'Real Admin', 'admin', 'x');
                INSERT INTO patients (first_name, last_name, date_of_birth, gender) VALUES ('Real', 'Patient', '1970-01-01', 'female');
                """);
        }

        var before = await Seeder.FullDigestAsync(database);

        var run = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("refused", run.Report.GetProperty("status").GetString());
        var error = run.Report.GetProperty("error").GetString();
        Assert.Contains("did not create", error, StringComparison.Ordinal);
        Assert.Contains("'real.admin'", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", error, StringComparison.Ordinal);
        Assert.Equal(before, await Seeder.FullDigestAsync(database));
    }

    [Fact]
    public async Task ADatabaseHoldingOnlyPatientsOfItsOwnIsRefusedToo()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        await using (var connection = Seeder.Connect(database))
        {
            await connection.ExecuteAsync("INSERT INTO patients (first_name, last_name, date_of_birth, gender) VALUES ('Real', 'Patient', '1970-01-01', 'male')");
        }

        var run = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("1 patient(s)", run.Report.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await Seeder.CountsAsync(database))["users"]);
    }

    [Fact]
    public async Task AUserAddedAfterTheDemoMakesTheNextRunRefuse()
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        Assert.Equal(0, (await Seeder.RunAsync(database, "demo")).ExitCode);
        await using (var connection = Seeder.Connect(database))
        {
            await connection.ExecuteAsync("INSERT INTO users (username, email, full_name, role, password_hash) VALUES ('someone', 'someone@clinic.example', 'Someone', 'nurse', 'x')");
        }

        var before = await Seeder.FullDigestAsync(database);

        var run = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(before, await Seeder.FullDigestAsync(database));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task OutsideDevelopmentTheDemoIsRefusedUnlessExplicitlyAllowed(string environment)
    {
        await using var database = await MigratedTemplate.NewDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:postgresdb"] = database.ConnectionString };

        var refused = await Seeder.RunInAsync(environment, new(settings), "demo", "--json");
        var countsAfterRefusal = await Seeder.CountsAsync(database);
        var allowed = await Seeder.RunInAsync(environment, new(settings), "demo", "--allow-outside-development", "--json");

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("refused", refused.Report.GetProperty("status").GetString());
        Assert.Contains("Development", refused.Report.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains(environment, refused.Report.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(countsAfterRefusal.Values, count => Assert.Equal(0, count));
        Assert.Equal(0, allowed.ExitCode);
        Assert.Equal(11, (await Seeder.CountsAsync(database))["users"]);
    }

    [Fact]
    public void TheOutsideDevelopmentFlagBelongsToDemoAlone()
    {
        Assert.True(SeederCommand.Parse(["demo", "--allow-outside-development"]).AllowOutsideDevelopment);
        Assert.False(SeederCommand.Parse(["demo"]).AllowOutsideDevelopment);
        Assert.False(SeederCommand.Parse(["generate", "--patients", "10", "--allow-outside-development"]).IsValid);
    }
}
