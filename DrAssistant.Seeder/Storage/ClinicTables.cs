namespace DrAssistant.Seeder.Storage;

/// <summary>The ten tables, each with its explicit column list and the row writer that follows it column by column.</summary>
internal static class ClinicTables
{
    public static readonly Table<UserRow> Users = new("users", """
        id, username, email, full_name, role, specialty, phone, password_hash, created_at, updated_at, status, preferences
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Text(r.Username);
        s.Text(r.Email);
        s.Text(r.FullName);
        s.Text(r.Role);
        s.Text(r.Specialty);
        s.Text(r.Phone);
        s.Text(r.PasswordHash);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.CreatedAt);
        s.Text(r.Status);
        s.Jsonb(r.Preferences);
    });

    public static readonly Table<PatientRow> Patients = new("patients", """
        id, mrn, abha_id, first_name, last_name, date_of_birth, gender, phone, email, address, emergency_contact,
        blood_group, allergies, created_at, updated_at, status
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Text(r.Mrn);
        s.Text(r.AbhaId);
        s.Text(r.FirstName);
        s.Text(r.LastName);
        s.Date(r.DateOfBirth);
        s.Text(r.Gender);
        s.Text(r.Phone);
        s.Text(r.Email);
        s.Jsonb(r.Address);
        s.Jsonb(r.EmergencyContact);
        s.Text(r.BloodGroup);
        s.TextArray(r.Allergies);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.CreatedAt);
        s.Text(r.Status);
    });

    public static readonly Table<AppointmentRow> Appointments = new("appointments", """
        id, doctor_id, patient_id, start_time, end_time, status, appointment_type, reason, notes, created_at, updated_at,
        created_by, check_in_time, check_out_time
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.DoctorId);
        s.Uuid(r.PatientId);
        s.Timestamp(r.StartTime);
        s.Timestamp(r.EndTime);
        s.Text(r.Status);
        s.Text(r.AppointmentType);
        s.Text(r.Reason);
        s.Text(r.Notes);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.UpdatedAt);
        s.Uuid(r.CreatedBy);
        s.Timestamp(r.CheckInTime);
        s.Timestamp(r.CheckOutTime);
    });

    public static readonly Table<EncounterRow> Encounters = new("encounters", """
        id, appointment_id, doctor_id, patient_id, encounter_type, start_time, end_time, chief_complaint, status,
        created_at, updated_at
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.AppointmentId);
        s.Uuid(r.DoctorId);
        s.Uuid(r.PatientId);
        s.Text(r.EncounterType);
        s.Timestamp(r.StartTime);
        s.Timestamp(r.EndTime);
        s.Text(r.ChiefComplaint);
        s.Text(r.Status);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.UpdatedAt);
    });

    public static readonly Table<PrescriptionRow> Prescriptions = new("prescriptions", """
        id, encounter_id, patient_id, doctor_id, status, created_at, updated_at, signed_at, valid_from, valid_until,
        pharmacy_id, notes
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.EncounterId);
        s.Uuid(r.PatientId);
        s.Uuid(r.DoctorId);
        s.Text(r.Status);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.UpdatedAt);
        s.Timestamp(r.SignedAt);
        s.Date(r.ValidFrom);
        s.Date(r.ValidUntil);
        s.Uuid(r.PharmacyId);
        s.Text(r.Notes);
    });

    public static readonly Table<PrescriptionItemRow> PrescriptionItems = new("prescription_items", """
        id, prescription_id, medication_name, dosage, frequency, duration, quantity, refills, instructions, created_at,
        updated_at
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.PrescriptionId);
        s.Text(r.MedicationName);
        s.Text(r.Dosage);
        s.Text(r.Frequency);
        s.Text(r.Duration);
        s.Text(r.Quantity);
        s.Integer(r.Refills);
        s.Text(r.Instructions);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.CreatedAt);
    });

    public static readonly Table<OrderRow> Orders = new("orders", """
        id, encounter_id, patient_id, doctor_id, order_type, status, created_at, updated_at, ordered_at, completed_at,
        provider_id, notes
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.EncounterId);
        s.Uuid(r.PatientId);
        s.Uuid(r.DoctorId);
        s.Text(r.OrderType);
        s.Text(r.Status);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.UpdatedAt);
        s.Timestamp(r.OrderedAt);
        s.Timestamp(r.CompletedAt);
        s.Uuid(r.ProviderId);
        s.Text(r.Notes);
    });

    public static readonly Table<OrderItemRow> OrderItems = new("order_items", """
        id, order_id, item_code, item_name, instructions, created_at, updated_at
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.OrderId);
        s.Text(r.ItemCode);
        s.Text(r.ItemName);
        s.Text(r.Instructions);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.CreatedAt);
    });

    public static readonly Table<TaskRow> Tasks = new("tasks", """
        id, title, description, assigned_to, created_by, patient_id, encounter_id, due_date, priority, status, task_type,
        created_at, updated_at, completed_at
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Text(r.Title);
        s.Text(r.Description);
        s.Uuid(r.AssignedTo);
        s.Uuid(r.CreatedBy);
        s.Uuid(r.PatientId);
        s.Uuid(r.EncounterId);
        s.Timestamp(r.DueDate);
        s.Text(r.Priority);
        s.Text(r.Status);
        s.Text(r.TaskType);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.UpdatedAt);
        s.Timestamp(r.CompletedAt);
    });

    public static readonly Table<AlertRow> Alerts = new("alerts", """
        id, user_id, patient_id, alert_type, severity, title, message, is_read, created_at, read_at, source, source_id,
        action_url
        """, static (s, r) =>
    {
        s.Uuid(r.Id);
        s.Uuid(r.UserId);
        s.Uuid(r.PatientId);
        s.Text(r.AlertType);
        s.Text(r.Severity);
        s.Text(r.Title);
        s.Text(r.Message);
        s.Boolean(r.IsRead);
        s.Timestamp(r.CreatedAt);
        s.Timestamp(r.ReadAt);
        s.Text(r.Source);
        s.Uuid(r.SourceId);
        s.Text(r.ActionUrl);
    });

    /// <summary>Table names in foreign-key order (parents first).</summary>
    public static readonly string[] Names =
    [
        Users.Name, Patients.Name, Appointments.Name, Encounters.Name, Prescriptions.Name, PrescriptionItems.Name,
        Orders.Name, OrderItems.Name, Tasks.Name, Alerts.Name,
    ];
}
