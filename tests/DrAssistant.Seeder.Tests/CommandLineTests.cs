using DrAssistant.Seeder.Cli;
using DrAssistant.Testing;

namespace DrAssistant.Seeder.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData("demo or generate")]
    [InlineData("'--seed'", "--seed", "3")]
    [InlineData("'seed'", "seed")]
    [InlineData("'generate'", "demo", "generate")]
    [InlineData("--seed", "demo", "--seed")]
    [InlineData("'-1'", "demo", "--seed", "-1")]
    [InlineData("'--patients'", "demo", "--patients", "10")]
    [InlineData("'--force'", "demo", "--force")]
    [InlineData("--patients", "generate")]
    [InlineData("'0'", "generate", "--patients", "0")]
    [InlineData("'ten'", "generate", "--patients", "ten")]
    [InlineData("--batch", "generate", "--patients", "10", "--batch", "0")]
    [InlineData("--doctors", "generate", "--patients", "10", "--doctors", "0")]
    public void ArgumentsThatNameNoValidRunAreRefusedNamingTheArgument(string named, params string[] args)
    {
        var command = SeederCommand.Parse(args);

        Assert.False(command.IsValid);
        Assert.Contains(named, command.Error, StringComparison.Ordinal);
        Assert.Contains("Usage:", command.Help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public void HelpListsEveryCommandAndTheExitCodes(string ask)
    {
        var command = SeederCommand.Parse([ask]);

        Assert.True(command.IsValid);
        Assert.Equal(SeederVerb.Help, command.Verb);
        foreach (var word in new[] { "demo", "generate", "ConnectionStrings:postgresdb", "64 bad arguments" })
        {
            Assert.Contains(word, command.Help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheHelpOfGenerateListsItsOptions()
    {
        var help = SeederCommand.Parse(["generate", "--help"]).Help;

        foreach (var option in new[] { "--patients", "--appointments-per-patient", "--doctors", "--batch", "--parallel", "--seed", "--force", "--json" })
        {
            Assert.Contains(option, help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DemoDefaultsToSeed42()
    {
        var command = SeederCommand.Parse(["demo"]);

        Assert.Equal(SeederVerb.Demo, command.Verb);
        Assert.Equal(42, command.Seed);
        Assert.False(command.Json);
    }

    [Fact]
    public void GenerateDefaultsToFiveAppointmentsPerPatientAndDerivedDoctors()
    {
        var command = SeederCommand.Parse(["generate", "--patients", "200000", "--json", "--ConnectionStrings:postgresdb=Host=x"]);

        Assert.Equal(SeederVerb.Generate, command.Verb);
        Assert.Equal(200_000, command.Patients);
        Assert.Equal(5, command.AppointmentsPerPatient);
        Assert.Null(command.Doctors);
        Assert.Equal(50_000, command.Batch);
        Assert.False(command.Force);
        Assert.True(command.Json);
        Assert.Equal(["--ConnectionStrings:postgresdb=Host=x"], command.ConfigurationArguments);
    }

    [Fact]
    public async Task BadArgumentsExitWith64()
    {
        Assert.Equal(64, await SeederApp.RunAsync(["generate", "--patients"], TextWriter.Null));
    }

    [Fact]
    public async Task WithoutAPostgresConnectionStringTheRunFailsAndSaysWhatToSet()
    {
        var run = await Seeder.RunAsync([], "demo", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("ConnectionStrings:postgresdb", run.Report.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnUnmigratedDatabaseFailsWithAHintToRunTheMigrations()
    {
        await using var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

        var run = await Seeder.RunAsync(database, "demo", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Run the migrations first", run.Report.GetProperty("error").GetString());
    }
}
