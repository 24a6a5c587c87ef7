namespace DrAssistant.Api.Appointments;

public sealed record Appointment(
    Guid Id,
    Guid DoctorId,
    Guid PatientId,
    DateTime StartTime,
    DateTime EndTime,
    string Status,
    string AppointmentType,
    string? Reason,
    string? Notes,
    Guid? CreatedBy,
    DateTime? CheckInTime,
    DateTime? CheckOutTime,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public Infrastructure.DoctorSlot Slot => new(DoctorId, StartTime);
}

public sealed record AppointmentRequest(
    Guid? DoctorId,
    Guid? PatientId,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string? AppointmentType,
    string? Reason = null,
    string? Notes = null,
    Guid? CreatedBy = null);

/// <summary>How a write of an appointment ended.</summary>
public enum AppointmentResult
{
    Done,
    NotFound,
    /// <summary>The doctor id names no user with the doctor role.</summary>
    NotADoctor,
    /// <summary>The doctor already has a live appointment overlapping that time.</summary>
    SlotTaken,
    /// <summary>Its status does not allow the change (<see cref="AppointmentOutcome.Status"/> says which it is).</summary>
    WrongStatus,
}

public sealed record AppointmentOutcome(AppointmentResult Result, Appointment? Appointment = null, string? Status = null);
