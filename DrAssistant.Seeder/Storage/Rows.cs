namespace DrAssistant.Seeder.Storage;

// One record per table, holding every column the seeder writes (the rest keep their defaults). Instants are UTC.

internal sealed record UserRow(
    Guid Id, string Username, string Email, string FullName, string Role, string? Specialty, string? Phone,
    string PasswordHash, DateTime CreatedAt, string Status, string? Preferences);

internal sealed record PatientRow(
    Guid Id, string Mrn, string AbhaId, string FirstName, string LastName, DateOnly DateOfBirth, string Gender,
    string? Phone, string? Email, string? Address, string? EmergencyContact, string? BloodGroup, string[]? Allergies,
    DateTime CreatedAt, string Status);

internal sealed record AppointmentRow(
    Guid Id, Guid DoctorId, Guid PatientId, DateTime StartTime, DateTime EndTime, string Status, string AppointmentType,
    string? Reason, string? Notes, DateTime CreatedAt, DateTime UpdatedAt, Guid? CreatedBy, DateTime? CheckInTime,
    DateTime? CheckOutTime);

internal sealed record EncounterRow(
    Guid Id, Guid? AppointmentId, Guid DoctorId, Guid PatientId, string EncounterType, DateTime StartTime,
    DateTime? EndTime, string? ChiefComplaint, string Status, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed record PrescriptionRow(
    Guid Id, Guid EncounterId, Guid PatientId, Guid DoctorId, string Status, DateTime CreatedAt, DateTime UpdatedAt,
    DateTime? SignedAt, DateOnly ValidFrom, DateOnly? ValidUntil, Guid? PharmacyId, string? Notes);

internal sealed record PrescriptionItemRow(
    Guid Id, Guid PrescriptionId, string MedicationName, string Dosage, string Frequency, string? Duration,
    string? Quantity, int Refills, string? Instructions, DateTime CreatedAt);

internal sealed record OrderRow(
    Guid Id, Guid EncounterId, Guid PatientId, Guid DoctorId, string OrderType, string Status, DateTime CreatedAt,
    DateTime UpdatedAt, DateTime? OrderedAt, DateTime? CompletedAt, Guid? ProviderId, string? Notes);

internal sealed record OrderItemRow(
    Guid Id, Guid OrderId, string ItemCode, string ItemName, string? Instructions, DateTime CreatedAt);

internal sealed record TaskRow(
    Guid Id, string Title, string? Description, Guid? AssignedTo, Guid CreatedBy, Guid? PatientId, Guid? EncounterId,
    DateTime? DueDate, string Priority, string Status, string TaskType, DateTime CreatedAt, DateTime UpdatedAt,
    DateTime? CompletedAt);

internal sealed record AlertRow(
    Guid Id, Guid UserId, Guid? PatientId, string AlertType, string Severity, string Title, string Message, bool IsRead,
    DateTime CreatedAt, DateTime? ReadAt, string? Source, Guid? SourceId, string? ActionUrl);

/// <summary>Everything one seeding writes, in foreign-key order.</summary>
internal sealed class ClinicRows
{
    public List<UserRow> Users { get; } = [];
    public List<PatientRow> Patients { get; } = [];
    public List<AppointmentRow> Appointments { get; } = [];
    public List<EncounterRow> Encounters { get; } = [];
    public List<PrescriptionRow> Prescriptions { get; } = [];
    public List<PrescriptionItemRow> PrescriptionItems { get; } = [];
    public List<OrderRow> Orders { get; } = [];
    public List<OrderItemRow> OrderItems { get; } = [];
    public List<TaskRow> Tasks { get; } = [];
    public List<AlertRow> Alerts { get; } = [];

    public void Clear()
    {
        Users.Clear();
        Patients.Clear();
        Appointments.Clear();
        Encounters.Clear();
        Prescriptions.Clear();
        PrescriptionItems.Clear();
        Orders.Clear();
        OrderItems.Clear();
        Tasks.Clear();
        Alerts.Clear();
    }
}
