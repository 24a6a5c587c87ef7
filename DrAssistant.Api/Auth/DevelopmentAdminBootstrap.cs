using Dapper;
using DrAssistant.Api.Users;
using Npgsql;

namespace DrAssistant.Api.Auth;

/// <summary>Settings under <c>Bootstrap</c>: the first administrator of an empty development database.</summary>
public sealed class BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    public string? AdminUsername { get; set; }

    public string? AdminPassword { get; set; }

    public string AdminEmail { get; set; } = "admin@clinic.example";
}

/// <summary>
/// In Development only, and only when the users table is empty, creates an administrator from configuration so a
/// fresh stack can be signed into. Never in any other environment.
/// </summary>
public sealed class DevelopmentAdminBootstrap(
    IHostEnvironment environment, IOptions<BootstrapOptions> options, NpgsqlDataSource db, ILogger<DevelopmentAdminBootstrap> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!environment.IsDevelopment() || string.IsNullOrWhiteSpace(settings.AdminUsername) || string.IsNullOrWhiteSpace(settings.AdminPassword))
        {
            return;
        }

        try
        {
            await using var connection = await db.OpenConnectionAsync(stoppingToken);
            var created = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO users (username, email, full_name, role, password_hash)
                SELECT @username, @email, 'Administrator', 'admin', @hash
                WHERE NOT EXISTS (SELECT 1 FROM users)
                """, new { username = settings.AdminUsername, email = settings.AdminEmail, hash = Passwords.Hash(settings.AdminPassword) },
                cancellationToken: stoppingToken));
            if (created == 1)
            {
                logger.LogWarning("Development bootstrap: created administrator '{Username}' in an empty users table.", settings.AdminUsername);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another replica of the API, starting at the same moment, created it (both saw an empty table).
            logger.LogInformation("Development bootstrap: another instance created administrator '{Username}'.", settings.AdminUsername);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Development bootstrap skipped: {Reason}", ex.Message);
        }
    }
}
