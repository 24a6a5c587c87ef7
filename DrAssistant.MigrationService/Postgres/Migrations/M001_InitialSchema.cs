using FluentMigrator;

namespace DrAssistant.MigrationService.Postgres.Migrations;

/// <summary>Version 1: the timestamp trigger function, users, patients, appointments and encounters.</summary>
[Migration(1, "initial schema: users, patients, appointments, encounters")]
public sealed class M001_InitialSchema : DrMigration
{
    public override void Up()
    {
        IfDatabase(ProcessorIdConstants.PostgreSQL).Execute.Sql("""
            CREATE OR REPLACE FUNCTION update_timestamp() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at = now();
                RETURN NEW;
            END;
            $$
            """);
        IfDatabase(ProcessorIdConstants.PostgreSQL).Execute.Sql(
            "COMMENT ON FUNCTION update_timestamp() IS 'Trigger function: sets updated_at to the current time on every update.'");

        CreateUsers();
        CreatePatients();
        CreateAppointments();
        CreateEncounters();
    }

    public override void Down()
    {
        Delete.Table("encounters");
        Delete.Table("appointments");
        Delete.Table("patients");
        Delete.Table("users");
        IfDatabase(ProcessorIdConstants.PostgreSQL).Execute.Sql("DROP FUNCTION IF EXISTS update_timestamp()");
    }

    private void CreateUsers()
    {
        Create.Table("users").WithDescription("Doctors, nurses and administrative staff who use Dr. Assistant.")
            .WithId("users")
            .WithColumn("username").AsString(50).NotNullable().WithColumnDescription("Login name, unique.")
            .WithColumn("email").AsString(100).NotNullable().WithColumnDescription("Email address, unique.")
            .WithColumn("full_name").AsString(100).NotNullable().WithColumnDescription("Name shown to other users.")
            .WithColumn("role").AsString(20).NotNullable().WithColumnDescription("What the user does: doctor, nurse, admin or receptionist.")
            .WithColumn("specialty").AsString(50).Nullable().WithColumnDescription("Medical specialty, for doctors.")
            .WithColumn("phone").AsString(20).Nullable().WithColumnDescription("Contact phone number.")
            .WithColumn("profile_image_url").AsString(255).Nullable().WithColumnDescription("Link to a profile picture.")
            .WithColumn("password_hash").AsString(255).NotNullable().WithColumnDescription("Salted hash of the password; never the password itself.")
            .WithTimestamps()
            .WithColumn("last_login_at").AsDateTimeOffset().Nullable().WithColumnDescription("When the user last logged in successfully.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("active").WithColumnDescription("Account state: active, inactive or suspended.")
            .WithColumn("preferences").AsCustom("jsonb").Nullable().WithColumnDescription("User interface and notification preferences, as a document.");

        Create.UniqueConstraint("users_username_key").OnTable("users").Column("username");
        Create.UniqueConstraint("users_email_key").OnTable("users").Column("email");
        Check("users", "valid_role", $"role IN ({In("doctor", "nurse", "admin", "receptionist")})");
        Index("users", "idx_users_role", "role");
        PartialIndex("users", "idx_users_specialty", "specialty", "specialty IS NOT NULL");
        Index("users", "idx_users_status", "status");
        UpdatedAtTrigger("users");
    }

    private void CreatePatients()
    {
        Create.Table("patients").WithDescription("People receiving care.")
            .WithId("patients")
            .WithColumn("mrn").AsString(50).Nullable().WithColumnDescription("Medical record number, unique.")
            .WithColumn("abha_id").AsString(50).Nullable().WithColumnDescription("Ayushman Bharat Health Account id, India's national health id; unique.")
            .WithColumn("first_name").AsString(50).NotNullable().WithColumnDescription("Given name.")
            .WithColumn("last_name").AsString(50).NotNullable().WithColumnDescription("Family name.")
            .WithColumn("date_of_birth").AsDate().NotNullable().WithColumnDescription("Calendar date of birth.")
            .WithColumn("gender").AsString(10).NotNullable().WithColumnDescription("male, female or other.")
            .WithColumn("phone").AsString(20).Nullable().WithColumnDescription("Contact phone number.")
            .WithColumn("email").AsString(100).Nullable().WithColumnDescription("Contact email address.")
            .WithColumn("address").AsCustom("jsonb").Nullable().WithColumnDescription("Postal address, as a document.")
            .WithColumn("emergency_contact").AsCustom("jsonb").Nullable().WithColumnDescription("Whom to call in an emergency, as a document.")
            .WithColumn("blood_group").AsString(5).Nullable().WithColumnDescription("Blood group, e.g. O+ or AB-.")
            .WithColumn("allergies").AsCustom("text[]").Nullable().WithColumnDescription("Known allergies.")
            .WithTimestamps()
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("active").WithColumnDescription("Record state: active, inactive or deceased.");

        Create.UniqueConstraint("patients_mrn_key").OnTable("patients").Column("mrn");
        Create.UniqueConstraint("patients_abha_id_key").OnTable("patients").Column("abha_id");
        Check("patients", "valid_gender", $"gender IN ({In("male", "female", "other")})");
        Index("patients", "idx_patients_name", "last_name", "first_name");
        Index("patients", "idx_patients_dob", "date_of_birth");
        Index("patients", "idx_patients_status", "status");
        UpdatedAtTrigger("patients");
    }

    private void CreateAppointments()
    {
        Create.Table("appointments").WithDescription("Scheduled meetings between a doctor and a patient.")
            .WithId("appointments")
            .WithColumn("doctor_id").AsGuid().NotNullable().ForeignKey("fk_appointments_doctor", "users", "id").WithColumnDescription("The doctor the patient will see.")
            .WithColumn("patient_id").AsGuid().NotNullable().ForeignKey("fk_appointments_patient", "patients", "id").WithColumnDescription("The patient.")
            .WithColumn("start_time").AsDateTimeOffset().NotNullable().WithColumnDescription("Start of the booked slot.")
            .WithColumn("end_time").AsDateTimeOffset().NotNullable().WithColumnDescription("End of the booked slot; after the start.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("scheduled").WithColumnDescription("scheduled, confirmed, checked_in, in_progress, completed, cancelled or no_show.")
            .WithColumn("appointment_type").AsString(20).NotNullable().WithColumnDescription("in_person, telemedicine, follow_up, urgent or routine.")
            .WithColumn("reason").AsString(255).Nullable().WithColumnDescription("Why the patient is coming.")
            .WithColumn("notes").Text().Nullable().WithColumnDescription("Free-text notes about the booking.")
            .WithTimestamps()
            .WithColumn("created_by").AsGuid().Nullable().ForeignKey("fk_appointments_created_by", "users", "id").WithColumnDescription("The user who booked it.")
            .WithColumn("check_in_time").AsDateTimeOffset().Nullable().WithColumnDescription("When the patient arrived.")
            .WithColumn("check_out_time").AsDateTimeOffset().Nullable().WithColumnDescription("When the visit was completed.");

        Check("appointments", "valid_time_range", "end_time > start_time");
        Check("appointments", "valid_status", $"status IN ({In("scheduled", "confirmed", "checked_in", "in_progress", "completed", "cancelled", "no_show")})");
        Check("appointments", "valid_type", $"appointment_type IN ({In("in_person", "telemedicine", "follow_up", "urgent", "routine")})");
        Index("appointments", "idx_appointments_doctor", "doctor_id");
        Index("appointments", "idx_appointments_patient", "patient_id");
        Index("appointments", "idx_appointments_time", "start_time", "end_time");
        Index("appointments", "idx_appointments_status", "status");
        Index("appointments", "idx_appointments_type", "appointment_type");
        // A doctor's day is a half-open range of instants: (doctor_id, start_time) serves it without DATE().
        Index("appointments", "idx_appointments_doctor_day", "doctor_id", "start_time");
        UpdatedAtTrigger("appointments");
    }

    private void CreateEncounters()
    {
        Create.Table("encounters").WithDescription("Clinical visits that actually happened.")
            .WithId("encounters")
            .WithColumn("appointment_id").AsGuid().Nullable().ForeignKey("fk_encounters_appointment", "appointments", "id").WithColumnDescription("The appointment, when the visit was booked.")
            .WithColumn("doctor_id").AsGuid().NotNullable().ForeignKey("fk_encounters_doctor", "users", "id").WithColumnDescription("The doctor who saw the patient.")
            .WithColumn("patient_id").AsGuid().NotNullable().ForeignKey("fk_encounters_patient", "patients", "id").WithColumnDescription("The patient.")
            .WithColumn("encounter_type").AsString(20).NotNullable().WithColumnDescription("office_visit, telemedicine, emergency or home_visit.")
            .WithColumn("start_time").AsDateTimeOffset().NotNullable().WithColumnDescription("When the visit started.")
            .WithColumn("end_time").AsDateTimeOffset().Nullable().WithColumnDescription("When the visit ended; empty while it goes on.")
            .WithColumn("chief_complaint").Text().Nullable().WithColumnDescription("The main reason for the visit, in the patient's words.")
            .WithColumn("status").AsString(20).NotNullable().WithDefaultValue("in_progress").WithColumnDescription("in_progress, completed or cancelled.")
            .WithTimestamps();

        Check("encounters", "valid_type", $"encounter_type IN ({In("office_visit", "telemedicine", "emergency", "home_visit")})");
        Check("encounters", "valid_time_range", "end_time IS NULL OR end_time > start_time");
        Check("encounters", "valid_status", $"status IN ({In("in_progress", "completed", "cancelled")})");
        Index("encounters", "idx_encounters_doctor", "doctor_id");
        Index("encounters", "idx_encounters_patient", "patient_id");
        Index("encounters", "idx_encounters_appointment", "appointment_id");
        Index("encounters", "idx_encounters_time", "start_time");
        Index("encounters", "idx_encounters_status", "status");
        Index("encounters", "idx_encounters_type", "encounter_type");
        // The patient timeline reads a patient's encounters newest first.
        Create.Index("idx_encounters_patient_time").OnTable("encounters")
            .OnColumn("patient_id").Ascending()
            .OnColumn("start_time").Descending();
        UpdatedAtTrigger("encounters");
    }
}
