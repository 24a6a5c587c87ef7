using System.Text.Json;
using Dapper;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Npgsql;
using static DrAssistant.Api.Users.UsersRules;

namespace DrAssistant.Api.Users;

/// <summary>
/// The users table: pattern 4's profile (never the password hash), the writes of staff accounts, and the cached
/// preferences. A change of a user tells the <see cref="CachePolicy"/>; a change of rights ends the user's sessions
/// (<see cref="SessionStore"/>) before it commits: if they cannot be ended, nothing changes.
/// </summary>
public static class UsersQueries
{
    private const string ProfileColumns = """
        id, username, email, full_name, role, specialty, phone, profile_image_url, created_at, last_login_at, status, preferences
        """;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static Task<IEnumerable<UserProfile>> ListAsync(
        NpgsqlDataSource db, string? role, string? status, PageRequest paging, CancellationToken cancellationToken) =>
        db.QueryAsync<UserProfile>($"""
            SELECT {ProfileColumns}
            FROM users
            WHERE (@role::varchar IS NULL OR role = @role) AND (@status::varchar IS NULL OR status = @status)
            ORDER BY full_name, id
            LIMIT @Limit OFFSET @Offset
            """, new { role, status, paging.Limit, paging.Offset }, cancellationToken);

    public static Task<UserProfile?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<UserProfile>($"SELECT {ProfileColumns} FROM users WHERE id = @id", new { id }, cancellationToken);

    /// <summary>A new account (the request's fields, by name) with the hash of its password, never the password.</summary>
    public static Task<UserProfile> CreateAsync(
        NpgsqlDataSource db, CreateUserRequest request, string passwordHash, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(request);
        parameters.Add("PasswordHash", passwordHash);
        return db.QuerySingleAsync<UserProfile>($"""
            INSERT INTO users (username, email, full_name, role, specialty, phone, profile_image_url, password_hash, preferences)
            VALUES (@Username, @Email, @FullName, @Role, @Specialty, @Phone, @ProfileImageUrl, @PasswordHash, @Preferences)
            RETURNING {ProfileColumns}
            """, parameters, cancellationToken);
    }

    /// <summary>
    /// Changes a profile, role and status. The last active administrator stays one; a new role, or a user who is no
    /// longer active, ends the user's sessions before the change commits (<see cref="SessionStoreUnavailableException"/>:
    /// nothing changed).
    /// </summary>
    public static async Task<UserUpdateOutcome> UpdateAsync(
        NpgsqlDataSource db, SessionStore sessions, CachePolicy? cache, Guid id, UpdateUserRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (MayRemoveAnAdministrator(request))
        {
            // Every change that could take one away locks the active administrators' rows first, always in id order (so
            // two such changes wait for each other rather than deadlock); the second then sees the first's result: two
            // administrators demoting each other at once leave one.
            var admins = (await connection.QueryAsync<Guid>(new CommandDefinition(
                $"SELECT id FROM users WHERE role = '{Admin}' AND status = '{Active}' ORDER BY id FOR UPDATE",
                transaction: transaction, cancellationToken: cancellationToken))).ToList();
            if (admins is [var last] && last == id)
            {
                return new(UserUpdateResult.LastAdministrator, Field: request.Role != Admin ? "role" : "status");
            }
        }

        var before = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT role FROM users WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (before is null)
        {
            return new(UserUpdateResult.NotFound);
        }

        var parameters = new DynamicParameters(request);
        parameters.Add("id", id);
        var user = await connection.QuerySingleAsync<UserProfile>(new CommandDefinition($"""
            UPDATE users
            SET username = @Username, email = @Email, full_name = @FullName, role = @Role, specialty = @Specialty,
                phone = @Phone, profile_image_url = @ProfileImageUrl, status = @Status
            WHERE id = @id
            RETURNING {ProfileColumns}
            """, parameters, transaction, cancellationToken: cancellationToken));

        // A session carries the role's permissions of the moment it was made.
        if (user.Role != before || user.Status != Active)
        {
            await sessions.EndAllAsync(id);
        }

        await transaction.CommitAsync(cancellationToken);
        if (cache is not null)
        {
            await cache.UserChangedAsync(id);
        }

        return new(UserUpdateResult.Done, user);
    }

    public static Task<Credentials?> CredentialsAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<Credentials>("SELECT username, email, password_hash FROM users WHERE id = @id", new { id }, cancellationToken);

    /// <summary>
    /// Replaces the password checked (<paramref name="oldHash"/>): false when it was changed meanwhile (two changes at once
    /// do not both win). Before committing, ends the user's sessions but <paramref name="keepSession"/> (a password
    /// change whose old sessions cannot be ended does not happen).
    /// </summary>
    public static async Task<bool> SetPasswordAsync(
        NpgsqlDataSource db, SessionStore sessions, Guid id, string hash, string oldHash, string? keepSession, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @hash WHERE id = @id AND password_hash = @oldHash",
            new { id, hash, oldHash }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        await (keepSession is null ? sessions.EndAllAsync(id) : sessions.EndAllButAsync(id, keepSession));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public static Task<string?> UsernameAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        db.QuerySingleOrDefaultAsync<string>("SELECT username FROM users WHERE id = @id", new { id }, cancellationToken);

    /// <summary>The preferences document (cached; an empty one when the user has none), null for an unknown user.</summary>
    public static async Task<JsonElement?> PreferencesAsync(
        NpgsqlDataSource db, RedisCache cache, CacheOptions lifetimes, Guid id, CancellationToken cancellationToken)
    {
        var document = await cache.GetOrLoadAsync(CachePolicy.PreferencesFamily, CachePolicy.UserPreferencesKey(id), lifetimes.UserPreferences,
            async ct =>
            {
                var row = await db.QuerySingleOrDefaultAsync<PreferencesRow>("SELECT preferences FROM users WHERE id = @id", new { id }, ct);
                return row is null ? null : new PreferencesDocument(row.Preferences ?? EmptyObject);
            }, cancellationToken);
        return document?.Value;
    }

    /// <summary>Replaces the preferences document; false for an unknown user.</summary>
    public static async Task<bool> SetPreferencesAsync(
        NpgsqlDataSource db, CachePolicy cache, Guid id, JsonElement preferences, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET preferences = @preferences WHERE id = @id", new { id, preferences }, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        await cache.UserChangedAsync(id);
        return true;
    }

    private sealed record PreferencesRow(JsonElement? Preferences);

    /// <summary>A JSON value wrapped in a class, so the cache can tell "none" from a document.</summary>
    private sealed record PreferencesDocument(JsonElement Value);
}
