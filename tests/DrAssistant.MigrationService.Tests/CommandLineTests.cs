using DrAssistant.MigrationService.Cli;

namespace DrAssistant.MigrationService.Tests;

/// <summary>The command line as declared once (System.CommandLine): what it accepts, and what its refusals say.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("--to", "rollback")]
    [InlineData("--to", "migrate", "--to")]
    [InlineData("'two'", "migrate", "--to", "two")]
    [InlineData("'-1'", "script", "--from", "-1")]
    [InlineData("'frobnicate'", "frobnicate")]
    [InlineData("'--from'", "info", "--from", "1")]
    [InlineData("'--to'", "check", "--to", "3")]
    [InlineData("'--accept-changes'", "create-admin", "--username", "a", "--accept-changes")]
    [InlineData("--username", "create-admin")]
    [InlineData("--username", "create-admin", "--username")]
    [InlineData("--username", "create-admin", "--username", " ")]
    [InlineData("'--username'", "migrate", "--username", "clinic.admin")]
    [InlineData("'info'", "migrate", "info")]
    public void ABadCommandLineIsRefusedWithAnErrorNamingTheArgument(string named, params string[] args)
    {
        var command = MigratorCommand.Parse(args);

        Assert.False(command.IsValid);
        Assert.Contains(named, command.Error, StringComparison.Ordinal);
        Assert.Contains("Usage:", command.Help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create-admin", "--username", "a", "--password", "correct horse battery staple")]
    [InlineData("create-admin", "--username", "a", "--password=correct horse battery staple")]
    [InlineData("migrate", "--password", "correct horse battery staple")]
    public void APasswordArgumentIsRefusedWithoutEchoingIt(params string[] args)
    {
        var command = MigratorCommand.Parse(args);

        Assert.False(command.IsValid);
        Assert.Contains("DRASSISTANT_ADMIN_PASSWORD", command.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("horse", command.Error + command.Help, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutACommandItMigrates()
    {
        var command = MigratorCommand.Parse([]);

        Assert.True(command.IsValid);
        Assert.Equal(MigratorVerb.Migrate, command.Verb);
        Assert.Null(command.To);
        Assert.False(command.Json);
    }

    [Fact]
    public void OptionsAndConfigurationArgumentsAreReadWhereverTheyStand()
    {
        var command = MigratorCommand.Parse(
            ["--ConnectionStrings:postgresdb=Host=x;Database=y", "script", "--from=2", "--to", "4", "--json", "--Migrator:LockTimeout=00:00:05"]);

        Assert.True(command.IsValid, command.Error);
        Assert.Equal(MigratorVerb.Script, command.Verb);
        Assert.Equal(2, command.From);
        Assert.Equal(4, command.To);
        Assert.True(command.Json);
        Assert.Equal(["--ConnectionStrings:postgresdb=Host=x;Database=y", "--Migrator:LockTimeout=00:00:05"], command.ConfigurationArguments);
    }

    [Fact]
    public void CreateAdminTakesItsAccountOptions()
    {
        var command = MigratorCommand.Parse(["create-admin", "--username", "clinic.admin", "--email=a@clinic.example", "--full-name", "Dr. A", "--json"]);

        Assert.True(command.IsValid, command.Error);
        Assert.Equal(MigratorVerb.CreateAdmin, command.Verb);
        Assert.Equal(("clinic.admin", "a@clinic.example", "Dr. A"), (command.Username, command.Email, command.FullName));
        Assert.True(command.WritesPayload);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void HelpListsEveryCommandAndOptionAndTheExitCodes(string ask)
    {
        var command = MigratorCommand.Parse([ask]);

        Assert.True(command.IsValid);
        Assert.Equal(MigratorVerb.Help, command.Verb);
        foreach (var word in new[] { "migrate", "info", "check", "rollback", "script", "create-admin", "--to", "--json", "--accept-changes", "64 bad arguments" })
        {
            Assert.Contains(word, command.Help, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--password", command.Help, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHelpOfACommandListsItsOwnOptions()
    {
        var command = MigratorCommand.Parse(["create-admin", "--help"]);

        Assert.Equal(MigratorVerb.Help, command.Verb);
        Assert.Contains("--full-name", command.Help, StringComparison.Ordinal);
        Assert.DoesNotContain("--accept-changes", command.Help, StringComparison.Ordinal);
    }
}
