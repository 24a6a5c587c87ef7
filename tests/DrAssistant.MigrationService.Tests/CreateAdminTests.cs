using Dapper;
using DrAssistant.MigrationService.Accounts;
using DrAssistant.MigrationService.Tests.Postgres;
using DrAssistant.Shared.Accounts;
using DrAssistant.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace DrAssistant.MigrationService.Tests;

/// <summary>
/// <c>create-admin</c>: the first administrator of a real clinic, on a migrated database; the password never an
/// argument, the API's password rules, idempotent for the same username, and refused (exit 1, saying why) when the
/// clinic already has an active administrator. Each test has its own database.
/// </summary>
public sealed class CreateAdminTests(ITestOutputHelper output)
{
    private const string Strong = "correct horse battery staple";

    [Fact]
    public async Task CreatesTheFirstAdministratorWithThePasswordPipedOnStandardInput()
    {
        await using var database = await MigratedAsync();

        var result = await CreateAdminAsync(database, Strong + "\n", "create-admin", "--username", "clinic.admin", "--email", "admin@clinic.example",
            "--full-name", "Clinic Administrator", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("created", result.Json.GetProperty("status").GetString());
        var user = await UserAsync(database, "clinic.admin");
        Assert.Equal(("admin", "active", "admin@clinic.example", "Clinic Administrator"), (user.Role, user.Status, user.Email, user.FullName));
        Assert.Equal(user.Id, result.Json.GetProperty("userId").GetGuid());
        // The API's own check of a password (the login's).
        Assert.True(Passwords.Verify(user.PasswordHash, Strong));
        Assert.False(Passwords.Verify(user.PasswordHash, Strong + "\n"));
    }

    [Fact]
    public async Task TheSameUsernameAgainChangesNothingAndSucceeds()
    {
        await using var database = await MigratedAsync();
        Assert.Equal(0, (await CreateAdminAsync(database, Strong, "create-admin", "--username", "clinic.admin")).ExitCode);
        var before = await UserAsync(database, "clinic.admin");

        var again = await CreateAdminAsync(database, "another long password 2", "create-admin", "--username", "Clinic.Admin", "--json");

        Assert.Equal(0, again.ExitCode);
        Assert.Equal("exists", again.Json.GetProperty("status").GetString());
        Assert.Contains("nothing changed", again.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await UserAsync(database, "clinic.admin"));
        Assert.Equal(1, await CountAsync(database));
    }

    [Fact]
    public async Task RefusesWhenTheClinicAlreadyHasAnActiveAdministrator()
    {
        await using var database = await MigratedAsync();
        Assert.Equal(0, (await CreateAdminAsync(database, Strong, "create-admin", "--username", "first.admin")).ExitCode);

        var second = await CreateAdminAsync(database, Strong, "create-admin", "--username", "second.admin", "--json");

        Assert.Equal(1, second.ExitCode);
        Assert.Equal("refused", second.Json.GetProperty("status").GetString());
        Assert.Contains("already has an active administrator ('first.admin')", second.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(database));
    }

    [Fact]
    public async Task AClinicWhoseAdministratorsAreAllInactiveGetsANewOne()
    {
        await using var database = await MigratedAsync();
        Assert.Equal(0, (await CreateAdminAsync(database, Strong, "create-admin", "--username", "former.admin")).ExitCode);
        await Db.ExecuteAsync(database, "UPDATE users SET status = 'inactive'");

        var result = await CreateAdminAsync(database, Strong, "create-admin", "--username", "new.admin");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("active", (await UserAsync(database, "new.admin")).Status);
    }

    [Theory]
    [InlineData("short1!")]
    [InlineData("password123")]
    [InlineData("DemoClinic#2025")]
    [InlineData("clinic.admin")]
    public async Task RefusesAPasswordTheApiWouldRefuse(string password)
    {
        await using var database = await MigratedAsync();

        var result = await CreateAdminAsync(database, password, "create-admin", "--username", "clinic.admin", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Refused: The password", result.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(database));
    }

    [Fact]
    public async Task RefusesAUsernameThatBelongsToSomeoneWhoIsNotAnAdministrator()
    {
        await using var database = await MigratedAsync();
        await Db.ExecuteAsync(database, """
            INSERT INTO users (username, email, full_name, role, password_hash) VALUES ('dr.rao', 'rao@clinic.example', 'Dr. Rao', 'doctor', 'x')
            """);

        var result = await CreateAdminAsync(database, Strong, "create-admin", "--username", "dr.rao", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is a doctor, not an administrator", result.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("doctor", (await UserAsync(database, "dr.rao")).Role);
    }

    [Fact]
    public async Task RefusesADatabaseThatIsNotMigrated()
    {
        await using var database = await Db.NewAsync();

        var result = await CreateAdminAsync(database, Strong, "create-admin", "--username", "clinic.admin", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Run 'migrate' first", result.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create-admin")]
    [InlineData("create-admin", "--username")]
    [InlineData("create-admin", "--username", "clinic.admin", "--password", "correct horse battery staple")]
    [InlineData("create-admin", "--username", "clinic.admin", "--password=correct horse battery staple")]
    [InlineData("create-admin", "--username", "clinic.admin", "--to", "3")]
    [InlineData("migrate", "--username", "clinic.admin")]
    public async Task BadArgumentsExit64WithoutTouchingTheDatabase(params string[] args)
    {
        await using var database = await MigratedAsync();

        var result = await CreateAdminAsync(database, Strong, args);

        Assert.Equal(64, result.ExitCode);
        Assert.Equal(0, await CountAsync(database));
    }

    [Fact]
    public async Task WithoutAnyPasswordItExits64()
    {
        await using var database = await MigratedAsync();

        var result = await CreateAdminAsync(database, string.Empty, "create-admin", "--username", "clinic.admin", "--json");

        Assert.Equal(64, result.ExitCode);
        Assert.Contains(CreateAdmin.PasswordVariable, result.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(database));
    }

    [Fact]
    public async Task AsAProcessItTakesThePasswordFromTheEnvironmentAndSaysWhyItRefuses()
    {
        await using var database = await MigratedAsync();
        var environment = new Dictionary<string, string> { [CreateAdmin.PasswordVariable] = Strong };

        var created = await Migrator.RunProcessAsync(database.ConnectionString, ["create-admin", "--username=clinic.admin"], environment);
        var refused = await Migrator.RunProcessAsync(database.ConnectionString, ["create-admin", "--username", "other.admin"], environment);
        output.WriteLine($"created: exit {created.ExitCode}, {created.Output.Trim()}");
        output.WriteLine($"refused: exit {refused.ExitCode}, {refused.Errors.Trim()}");

        Assert.Equal(0, created.ExitCode);
        Assert.StartsWith("Created the administrator 'clinic.admin'", created.Output, StringComparison.Ordinal);
        Assert.True(Passwords.Verify((await UserAsync(database, "clinic.admin")).PasswordHash, Strong));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("already has an active administrator", refused.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain(Strong, created.Output + created.Errors + refused.Output + refused.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsAProcessItReadsAPipedPassword()
    {
        await using var database = await MigratedAsync();

        var result = await Migrator.RunProcessAsync(database.ConnectionString, ["create-admin", "--username", "clinic.admin"], standardInput: Strong + "\n");

        Assert.Equal(0, result.ExitCode);
        Assert.True(Passwords.Verify((await UserAsync(database, "clinic.admin")).PasswordHash, Strong));
    }

    [Fact]
    public async Task OfSeveralRunsAtOnceForDifferentUsernamesExactlyOneCreatesAnAdministrator()
    {
        // Each run checks "no active administrator" and then inserts; two at once would both pass the check under
        // read committed. A transaction-level advisory lock serialises them, so the later one sees the earlier's row.
        await using var database = await MigratedAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            CreateAdminAsync(database, Strong, "create-admin", "--username", $"admin.{i}", "--json")));
        output.WriteLine($"exit codes: {string.Join(", ", results.Select(r => r.ExitCode))}");

        Assert.Single(results, r => r.ExitCode == 0);
        Assert.All(results.Where(r => r.ExitCode != 0), r => Assert.Equal("refused", r.Json.GetProperty("status").GetString()));
        Assert.Equal(1, await CountAsync(database));
    }

    private static async Task<TestDatabase> MigratedAsync()
    {
        var database = await Db.NewAsync();
        await Db.MigrateAsync(database);
        return database;
    }

    private static Task<MigratorResult> CreateAdminAsync(TestDatabase database, string standardInput, params string[] args) =>
        Migrator.RunWithInputAsync(database.ConnectionString, [], standardInput, args);

    private sealed record User(Guid Id, string Role, string Status, string Email, string FullName, string PasswordHash, DateTime UpdatedAt);

    private static async Task<User> UserAsync(TestDatabase database, string username)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        return await connection.QuerySingleAsync<User>("""
            SELECT id AS "Id", role AS "Role", status AS "Status", email AS "Email", full_name AS "FullName",
                   password_hash AS "PasswordHash", updated_at AS "UpdatedAt"
            FROM users WHERE username = @username
            """, new { username });
    }

    private static Task<long> CountAsync(TestDatabase database) => Db.ScalarAsync<long>(database, "SELECT count(*) FROM users");
}

