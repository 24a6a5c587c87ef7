using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DrAssistant.MigrationService.Cli;
using DrAssistant.MigrationService.Reporting;
using DrAssistant.Shared;
using DrAssistant.Shared.Accounts;
using Npgsql;

namespace DrAssistant.MigrationService.Accounts;

/// <summary>Standard input for commands that read it (<c>create-admin</c>'s password); tests give their own.</summary>
public sealed class StandardInput(TextReader? reader)
{
    /// <summary>A person at a terminal (no reader given and nothing piped in): prompt, and read without echo.</summary>
    public bool IsInteractive => reader is null && !Console.IsInputRedirected;

    public TextReader Reader => reader ?? Console.In;
}

/// <summary>What <c>create-admin</c> did, printed as one JSON document with <c>--json</c>.</summary>
public sealed record CreateAdminReport(
    string Tool, string Command, string Status, string Username, Guid? UserId, string? Message, string? Error, int ExitCode);

/// <summary>
/// <c>create-admin --username U [--email E] [--full-name F]</c>: the first administrator of a real clinic, in a database
/// the migrator has brought to this build's version. The password comes from <c>DRASSISTANT_ADMIN_PASSWORD</c> or standard
/// input (typed without echo, twice, or piped), never from an argument, and must pass the API's own rules. It creates the
/// account only while no active administrator exists; the same username again (an administrator already) changes
/// nothing and succeeds, so a deployment script may run it every time; anything else is refused with the reason
/// (exit 1). Concurrent runs are serialised by a transaction-level advisory lock.
/// </summary>
public sealed partial class CreateAdmin(MigrationRunContext context, StandardInput input, ILogger<CreateAdmin> logger)
{
    public const string PasswordVariable = "DRASSISTANT_ADMIN_PASSWORD";

    /// <summary>"DrAd" in ASCII: another key than the migrations' lock, so it never waits for a migration.</summary>
    private const long LockKey = 0x4472_4164;

    private const string DefaultFullName = "Administrator";

    // As the migrate report reads: camelCase, nulls left out, '+' and quotes readable (read by people and scripts).
    private static readonly JsonSerializerOptions ReportOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<int> RunAsync(MigratorCommand command, TextWriter output, CancellationToken cancellationToken)
    {
        var username = command.Username!.Trim();
        var email = (command.Email ?? $"{username}@clinic.invalid").Trim();
        var fullName = (command.FullName ?? DefaultFullName).Trim();
        var result = await CreateAsync(username, email, fullName, cancellationToken);
        var report = new CreateAdminReport($"DrAssistant.MigrationService {context.ToolVersion}", "create-admin",
            result.Status, username, result.UserId, result.Message, result.Error, result.ExitCode);
        if (result.Status == "created")
        {
            // Who made the clinic's first administrator, and when: kept wherever the logs go.
            logger.LogWarning("create-admin created the administrator '{Username}' (id {Id}) as {AppliedBy}.", username, result.UserId, context.AppliedBy);
        }

        if (command.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(report, ReportOptions));
        }
        else if (result.Error is not null)
        {
            await Console.Error.WriteLineAsync(result.Error);
        }
        else
        {
            await output.WriteLineAsync(result.Message);
        }

        return result.ExitCode;
    }

    private async Task<Outcome> CreateAsync(string username, string email, string fullName, CancellationToken cancellationToken)
    {
        // The API's rules for the account's fields.
        var invalid = username.Length > 50 || username.Any(char.IsWhiteSpace) ? "--username must be 1 to 50 characters, without spaces."
            : email.Length > 100 || !EmailPattern().IsMatch(email) ? "--email must be an email address (at most 100 characters)."
            : fullName.Length is 0 or > 100 ? "--full-name must be 1 to 100 characters."
            : null;
        if (invalid is not null)
        {
            return Outcome.Refused(invalid, ExitCodes.BadArguments);
        }

        if (context.ConnectionString is null)
        {
            return Outcome.Failed($"No PostgreSQL connection string: set ConnectionStrings:{ResourceNames.PostgresDatabase} (or DB_HOST and friends).");
        }

        try
        {
            // First without the lock, so that nobody types a password only to hear that nothing can be done (or that
            // nothing needs doing: the same username again needs no password at all).
            await using (var connection = new NpgsqlConnection(context.ConnectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                if (await DecideAsync(connection, transaction, username, cancellationToken) is { } known)
                {
                    return known;
                }
            }

            var (password, missing) = ReadPassword(username);
            if (password is null)
            {
                return Outcome.Refused(missing!, ExitCodes.BadArguments);
            }

            if (PasswordRules.Problem("The password", password, username, email) is { } weak)
            {
                return Outcome.Refused($"Refused: {weak} (8 to 128 characters, not a common password, not the username or email: the API's own rules).");
            }

            // PBKDF2 takes a moment: before the transaction, not while holding the lock.
            var hash = Passwords.Hash(password);
            await using (var connection = new NpgsqlConnection(context.ConnectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                // Then again under the lock: of several runs at once, the later ones see the first one's administrator.
                await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", LockKey));
                if (await DecideAsync(connection, transaction, username, cancellationToken) is { } decided)
                {
                    return decided;
                }

                Guid id;
                try
                {
                    id = await ScalarAsync<Guid>(connection, transaction, """
                        INSERT INTO users (username, email, full_name, role, password_hash)
                        VALUES (@username, @email, @full_name, 'admin', @hash)
                        RETURNING id
                        """, cancellationToken, ("username", username), ("email", email), ("full_name", fullName), ("hash", hash));
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    return Outcome.Refused($"Refused: the email '{email}' belongs to another user. Give another --email.");
                }

                await transaction.CommitAsync(cancellationToken);
                return new Outcome("created", id, $"Created the administrator '{username}' ({email}, id {id}). Sign in with POST /api/auth/login.", null, ExitCodes.Success);
            }
        }
        catch (NpgsqlException ex)
        {
            return Outcome.Failed($"PostgreSQL: {ex.Message}");
        }
    }

    /// <summary>
    /// What the database already decides, or null when the administrator may be created: a schema older than the
    /// build's, the same username (an administrator: nothing to do; anyone else: refused), another active administrator.
    /// </summary>
    private static async Task<Outcome?> DecideAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string username, CancellationToken cancellationToken)
    {
        // Two statements: a table that does not exist cannot even be named in a query that is planned.
        var migrated = await ScalarAsync<bool>(connection, transaction,
            $"SELECT to_regclass('{SchemaVersions.PostgresVersionTable}') IS NOT NULL AND to_regclass('users') IS NOT NULL", cancellationToken);
        var version = migrated
            ? await ScalarAsync<long>(connection, transaction, $"SELECT coalesce(max(version), 0) FROM {SchemaVersions.PostgresVersionTable}", cancellationToken)
            : 0;
        if (version < SchemaVersions.Postgres)
        {
            return Outcome.Refused($"Refused: the database schema is at version {version}, this build needs {SchemaVersions.Postgres}. " +
                                   "Run 'migrate' first, then create-admin.");
        }

        var existing = await ReadUserAsync(connection, transaction, "lower(username) = lower(@username)", cancellationToken, ("username", username));
        if (existing is not null)
        {
            if (existing.Role != "admin")
            {
                return Outcome.Refused($"Refused: a user named '{existing.Username}' already exists and is a {existing.Role}, not an administrator. " +
                                       "Choose another --username.");
            }

            var note = existing.Status == "active" ? string.Empty
                : $" It is {existing.Status}: an active administrator can make it active again (PUT /api/users/{existing.Id}); with none, " +
                  "create-admin with another username makes one.";
            return new Outcome("exists", existing.Id,
                $"The administrator '{existing.Username}' already exists; nothing changed (its password was not changed).{note}", null, ExitCodes.Success);
        }

        var other = await ReadUserAsync(connection, transaction, "role = 'admin' AND status = 'active'", cancellationToken);
        return other is null ? null
            : Outcome.Refused($"Refused: the clinic already has an active administrator ('{other.Username}'). create-admin only makes the " +
                              "first one: sign in as an administrator and add users with POST /api/users.");
    }

    /// <summary>The password from the environment, else standard input; or why there is none.</summary>
    private (string? Password, string? Missing) ReadPassword(string username)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return (fromEnvironment, null);
        }

        const string how = $"type it when asked, pipe it on standard input, or set {PasswordVariable}; never as an argument.";
        if (input.IsInteractive)
        {
            var first = Prompt($"Password for the administrator '{username}': ");
            var again = Prompt("The same password again: ");
            return string.IsNullOrEmpty(first) ? (null, $"No password given: {how}")
                : first != again ? (null, "The two passwords differ; nothing was created.")
                : (first, null);
        }

        // Piped: the first line, without its line ending (spaces inside and around belong to the password).
        var line = input.Reader.ReadLine();
        return string.IsNullOrEmpty(line) ? (null, $"No password on standard input: {how}") : (line, null);
    }

    /// <summary>Reads a line at the terminal without showing it.</summary>
    private static string Prompt(string question)
    {
        Console.Error.Write(question);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                text.Length = Math.Max(0, text.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return text.ToString();
    }

    private sealed record UserRow(Guid Id, string Username, string Role, string Status);

    private static async Task<UserRow?> ReadUserAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string where, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, transaction,
            $"SELECT id, username, role, status FROM users WHERE {where} ORDER BY created_at, id LIMIT 1", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new UserRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3))
            : null;
    }

    private static async Task<T> ScalarAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    /// <summary>The API's own test for an email address (<c>Validation.Email</c>).</summary>
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    private sealed record Outcome(string Status, Guid? UserId, string? Message, string? Error, int ExitCode)
    {
        public static Outcome Refused(string why, int exitCode = ExitCodes.Failure) => new("refused", null, null, why, exitCode);

        public static Outcome Failed(string why) => new("failed", null, null, why, ExitCodes.Failure);
    }
}
