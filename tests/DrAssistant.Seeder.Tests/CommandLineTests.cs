using DrAssistant.Seeder.Cli;
using DrAssistant.Testing;

namespace DrAssistant.Seeder.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData]
    [InlineData("--seed", "3")]
    [InlineData("seed")]
    [InlineData("demo", "generate")]
    [InlineData("demo", "--seed")]
    [InlineData("demo", "--seed", "-1")]
    [InlineData("demo", "--patients", "10")]
    [InlineData("demo", "--force")]
    [InlineData("generate")]
    [InlineData("generate", "--patients", "0")]
    [InlineData("generate", "--patients", "ten")]
    [InlineData("generate", "--patients", "10", "--batch", "0")]
    [InlineData("generate", "--patients", "10", "--doctors", "0")]
    public void ArgumentsThatNameNoValidRunAreRefused(params string[] args)
    {
        var command = SeederCommand.Parse(args);

        Assert.False(command.IsValid);
        Assert.False(string.IsNullOrWhiteSpace(command.Error));
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
