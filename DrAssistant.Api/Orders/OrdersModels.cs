namespace DrAssistant.Api.Orders;

public sealed record OrderItem(Guid Id, string ItemCode, string ItemName, string? Instructions, DateTimeOffset CreatedAt);

/// <summary>An order with its items and the ordering doctor's name.</summary>
public sealed record Order(
    Guid Id,
    Guid EncounterId,
    Guid PatientId,
    Guid DoctorId,
    string DoctorName,
    string OrderType,
    string Status,
    DateTime? OrderedAt,
    DateTime? CompletedAt,
    Guid? ProviderId,
    string? Notes,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    OrderItem[] Items);

public sealed record OrderItemRequest(string? ItemCode, string? ItemName, string? Instructions = null);

public sealed record CreateOrderRequest(
    Guid? EncounterId,
    string? OrderType,
    bool Draft = false,
    Guid? ProviderId = null,
    string? Notes = null,
    OrderItemRequest[]? Items = null);

public sealed record UpdateOrderRequest(string? OrderType, Guid? ProviderId = null, string? Notes = null);
