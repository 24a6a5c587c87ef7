using System.Text.RegularExpressions;
using Dapper;
using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Tests.Contract;

/// <summary>The API refuses exactly the words the database refuses: its lists equal the CHECK constraints.</summary>
public sealed partial class VocabularyTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public static TheoryData<string, string, string[]> Lists => new()
    {
        { "users", "valid_role", Vocabulary.Roles },
        { "patients", "valid_gender", Vocabulary.Genders },
        { "appointments", "valid_status", Vocabulary.AppointmentStatuses },
        { "appointments", "valid_type", Vocabulary.AppointmentTypes },
        { "encounters", "valid_type", Vocabulary.EncounterTypes },
        { "encounters", "valid_status", Vocabulary.EncounterStatuses },
        { "prescriptions", "valid_status", Vocabulary.PrescriptionStatuses },
        { "orders", "valid_type", Vocabulary.OrderTypes },
        { "orders", "valid_status", Vocabulary.OrderStatuses },
        { "tasks", "valid_priority", Vocabulary.TaskPriorities },
        { "tasks", "valid_status", Vocabulary.TaskStatuses },
        { "tasks", "valid_type", Vocabulary.TaskTypes },
        { "alerts", "valid_type", Vocabulary.AlertTypes },
        { "alerts", "valid_severity", Vocabulary.AlertSeverities },
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task TheApisWordsAreTheConstraintsWords(string table, string constraint, string[] words)
    {
        await using var connection = await api.Db.OpenConnectionAsync();
        var definition = await connection.QuerySingleAsync<string>("""
            SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relname = @table AND k.conname = @constraint
            """, new { table, constraint });

        var allowed = Quoted().Matches(definition).Select(m => m.Groups[1].Value).Order();

        Assert.Equal(words.Order(), allowed);
    }

    [Fact]
    public void PriorityAndSeverityRankByClinicalOrderNotByTheWord()
    {
        Assert.Equal(["low", "medium", "high", "urgent"], Vocabulary.TaskPriorities);
        Assert.Equal(["low", "medium", "high", "critical"], Vocabulary.AlertSeverities);
        Assert.Contains("WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1", Vocabulary.TaskPriorityRank("p"), StringComparison.Ordinal);
        Assert.Contains("WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1", Vocabulary.AlertSeverityRank("s"), StringComparison.Ordinal);
    }

    [GeneratedRegex("'([a-z_]+)'")]
    private static partial Regex Quoted();
}
