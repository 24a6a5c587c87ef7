using DrAssistant.Api.Encounters;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Orders;
using DrAssistant.Api.Prescriptions;
using Xunit.Abstractions;

namespace DrAssistant.Api.Tests.Lifecycles;

/// <summary>
/// The lifecycles of prescriptions, orders and encounters as their rules declare them (one table of steps each), checked
/// without a server. The status words are the schema's: <see cref="Vocabulary"/> holds what the CHECK constraints allow
/// (VocabularyTests compare it with pg_catalog), so a word misspelt in a rule fails here before it reaches a query.
/// </summary>
public sealed class LifecycleRulesTests(ITestOutputHelper output)
{
    public static TheoryData<string> Features => ["prescriptions", "orders", "encounters"];

    [Theory]
    [MemberData(nameof(Features))]
    public void EveryStatusOfALifecycleIsAWordTheSchemaAllowsAndEveryAllowedWordTakesPartInIt(string feature)
    {
        var (lifecycle, vocabulary) = Of(feature);
        var words = lifecycle.Steps.SelectMany(s => new[] { s.From, s.To }).Distinct().Order().ToArray();

        output.WriteLine($"{feature}: {lifecycle.Steps.Count} steps between {words.Length} statuses");
        Assert.Equal(vocabulary.Order(), words);
    }

    [Theory]
    [MemberData(nameof(Features))]
    public void NothingLeavesAFinishedOrCancelledRecord(string feature)
    {
        var (lifecycle, _) = Of(feature);
        string[] finished = ["dispensed", "completed", "cancelled"];

        Assert.DoesNotContain(lifecycle.Steps, s => finished.Contains(s.From));
        Assert.DoesNotContain(lifecycle.Steps, s => s.From == s.To);
    }

    [Fact]
    public void APrescriptionIsSignedFromADraftOnlyAndCancelledUntilItIsDispensed()
    {
        Assert.Equal([PrescriptionsRules.Draft], PrescriptionsRules.Steps.From(PrescriptionsRules.Signed));
        Assert.Equal([PrescriptionsRules.Signed], PrescriptionsRules.Steps.From(PrescriptionsRules.Sent));
        Assert.Equal([PrescriptionsRules.Sent], PrescriptionsRules.Steps.From(PrescriptionsRules.Dispensed));
        Assert.Equal(
            [PrescriptionsRules.Draft, PrescriptionsRules.Signed, PrescriptionsRules.Sent],
            PrescriptionsRules.Steps.From(PrescriptionsRules.Cancelled));
        Assert.Equal([PrescriptionsRules.Draft], PrescriptionsRules.Editable);
    }

    [Fact]
    public void AnOrderIsCompletedOnceOrderedAndCancelledUntilItIsCompleted()
    {
        Assert.Equal([OrdersRules.Draft], OrdersRules.Steps.From(OrdersRules.Ordered));
        Assert.Equal([OrdersRules.Ordered], OrdersRules.Steps.From(OrdersRules.InProgress));
        Assert.Equal([OrdersRules.Ordered, OrdersRules.InProgress], OrdersRules.Steps.From(OrdersRules.Completed));
        Assert.False(OrdersRules.Steps.Allows(OrdersRules.Draft, OrdersRules.Completed));
        Assert.Equal([OrdersRules.Draft, OrdersRules.Ordered, OrdersRules.InProgress], OrdersRules.Steps.From(OrdersRules.Cancelled));
        Assert.Equal([OrdersRules.Draft, OrdersRules.Ordered], OrdersRules.Editable);
    }

    [Fact]
    public void APlacedOrderKeepsItsLastItemAndADraftMayBeEmptied()
    {
        Assert.Null(OrdersRules.KeepsLastItem(OrdersRules.Draft));
        Assert.NotNull(OrdersRules.KeepsLastItem(OrdersRules.Ordered));
        Assert.Equal(OrdersRules.Draft, OrdersRules.InitialStatus(draft: true));
        Assert.Equal(OrdersRules.Ordered, OrdersRules.InitialStatus(draft: false));
    }

    [Fact]
    public void AnEncounterInProgressIsCompletedOrCancelledAndOnlyACancelledOneIsClosedToWriting()
    {
        Assert.Equal([EncountersRules.InProgress], EncountersRules.Steps.From(EncountersRules.Completed));
        Assert.Equal([EncountersRules.InProgress], EncountersRules.Steps.From(EncountersRules.Cancelled));
        Assert.Equal(Vocabulary.EncounterStatuses.Except([EncountersRules.Cancelled]), EncountersRules.Open);
    }

    [Fact]
    public void ItemsAreValidatedEachUnderItsOwnIndexAndOnlyUpToTheLimit()
    {
        var items = Enumerable.Range(0, PrescriptionsRules.MaxItems + 5)
            .Select(i => new PrescriptionItemRequest(i is 1 or 52 ? null : "Amoxicillin", "500 mg", "tds")).ToArray();
        var errors = PrescriptionsRules.ValidateCreate(new CreatePrescriptionRequest(Guid.NewGuid(), Items: items)).Errors;

        Assert.Equal(["items", "items[1].medicationName"], errors.Keys.Order());
        Assert.Equal([$"At most {PrescriptionsRules.MaxItems} items."], errors["items"]);
    }

    private static (Lifecycle Lifecycle, string[] Vocabulary) Of(string feature) => feature switch
    {
        "prescriptions" => (PrescriptionsRules.Steps, Vocabulary.PrescriptionStatuses),
        "orders" => (OrdersRules.Steps, Vocabulary.OrderStatuses),
        "encounters" => (EncountersRules.Steps, Vocabulary.EncounterStatuses),
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, null),
    };
}
