using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Orders;

/// <summary>The rules of orders that need no server: their statuses, their lifecycle and request validation.</summary>
public static class OrdersRules
{
    public const string Draft = "draft";
    public const string Ordered = "ordered";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>
    /// A draft is submitted (ordered); the work starts and completes (or completes at once); anything not completed may
    /// be cancelled. Items and details change until the work starts (<see cref="Editable"/>).
    /// </summary>
    public static readonly Lifecycle Steps = new(
        (Draft, Ordered), (Ordered, InProgress), (Ordered, Completed), (InProgress, Completed),
        (Draft, Cancelled), (Ordered, Cancelled), (InProgress, Cancelled));

    public static readonly string[] Editable = [Draft, Ordered];

    /// <summary>The words of the 409s for steps whose word is not the status they reach.</summary>
    public const string Edited = "edited";
    public const string Submitted = "submitted";
    public const string Started = "started";

    public const int MaxItems = 50;
    public const int MaxNotes = 10_000;

    public static readonly string TooManyItems = $"An order has at most {MaxItems} items.";
    public const string SubmittedWithoutItems = "An order without items cannot be submitted.";

    /// <summary>A placed order is work someone will do: it keeps at least one item (a draft may be emptied).</summary>
    public static string? KeepsLastItem(string status) =>
        status == Draft ? null : "An order that is placed keeps at least one item; cancel it instead.";

    /// <summary>The status a new order starts in: a draft, or placed straight away.</summary>
    public static string InitialStatus(bool draft) => draft ? Draft : Ordered;

    public static Validation ValidateCreate(CreateOrderRequest request) =>
        DraftItems.ValidateItems(
            new Validation()
                .Required("encounterId", request.EncounterId)
                .OneOf("orderType", request.OrderType, Vocabulary.OrderTypes)
                .MaxLength("notes", request.Notes, MaxNotes)
                .When(!request.Draft && (request.Items is null || request.Items.Length == 0), DraftItems.ItemsField,
                    "An order that is not a draft needs at least one item."),
            request.Items, MaxItems, ValidateItem);

    public static Validation ValidateUpdate(UpdateOrderRequest request) => new Validation()
        .OneOf("orderType", request.OrderType, Vocabulary.OrderTypes)
        .MaxLength("notes", request.Notes, MaxNotes);

    public static Validation ValidateItem(OrderItemRequest? item)
    {
        var validation = new Validation();
        ValidateItem(validation, item, string.Empty);
        return validation;
    }

    private static void ValidateItem(Validation validation, OrderItemRequest? item, string prefix)
    {
        if (item is null)
        {
            validation.Add(prefix.TrimEnd('.'), "An item is required.");
            return;
        }

        validation
            .Required($"{prefix}itemCode", item.ItemCode, 50)
            .Required($"{prefix}itemName", item.ItemName, 100)
            .MaxLength($"{prefix}instructions", item.Instructions, MaxNotes);
    }
}
