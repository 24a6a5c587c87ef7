namespace DrAssistant.Seeder.Clinic;

internal sealed record Medication(
    string Name, string Dosage, string Frequency, string Duration, string Quantity, int Refills, string Instructions,
    string Route = "oral");

internal sealed record OrderLine(string Code, string Name, string? Instructions = null);

internal sealed record OrderPlan(string Type, string? Notes, params OrderLine[] Lines);

/// <summary>
/// One kind of visit: why the patient comes, what the doctor finds and decides. The demo's encounters, prescriptions,
/// orders and SOAP notes all come from these, so a note's plan matches the prescription written in the same visit.
/// </summary>
internal sealed record Scenario(
    string Specialty,
    string Reason,
    string ChiefComplaint,
    string History,
    string ExamSystem,
    string ExamFinding,
    string DiagnosisCode,
    string Diagnosis,
    string[] Differentials,
    Medication[] Medications,
    OrderPlan[] Orders,
    string Education,
    string FollowUp);

/// <summary>The clinic's vocabulary: specialties, visits, medicines, tests, and the words of tasks and alerts.</summary>
internal static class Catalogue
{
    public const string GeneralMedicine = "General Medicine";
    public const string Cardiology = "Cardiology";
    public const string Pediatrics = "Pediatrics";
    public const string Orthopedics = "Orthopedics";
    public const string Dermatology = "Dermatology";
    public const string Endocrinology = "Endocrinology";

    public static readonly string[] Specialties = [GeneralMedicine, Cardiology, Pediatrics, Orthopedics, Dermatology, Endocrinology];

    // Medicines as prescribed in an Indian outpatient clinic.
    private static readonly Medication Paracetamol = new("Paracetamol", "650 mg", "three times a day", "3 days", "9 tablets", 0, "After food; skip a dose if there is no fever.");
    private static readonly Medication Azithromycin = new("Azithromycin", "500 mg", "once a day", "3 days", "3 tablets", 0, "One hour before food; complete the course.");
    private static readonly Medication Cetirizine = new("Cetirizine", "10 mg", "once at night", "5 days", "5 tablets", 0, "May cause drowsiness.");
    private static readonly Medication Amlodipine = new("Amlodipine", "5 mg", "once a day", "30 days", "30 tablets", 2, "Same time every morning.");
    private static readonly Medication Telmisartan = new("Telmisartan", "40 mg", "once a day", "30 days", "30 tablets", 2, "Check blood pressure at home twice a week.");
    private static readonly Medication Atorvastatin = new("Atorvastatin", "10 mg", "once at night", "30 days", "30 tablets", 2, "Report unexplained muscle pain.");
    private static readonly Medication Metoprolol = new("Metoprolol succinate", "25 mg", "once a day", "30 days", "30 tablets", 2, "Do not stop suddenly.");
    private static readonly Medication Aspirin = new("Aspirin", "75 mg", "once a day", "30 days", "30 tablets", 2, "After lunch.");
    private static readonly Medication Metformin = new("Metformin", "500 mg", "twice a day", "30 days", "60 tablets", 2, "With breakfast and dinner.");
    private static readonly Medication Glimepiride = new("Glimepiride", "1 mg", "once a day", "30 days", "30 tablets", 2, "Before breakfast; carry a sweet in case of low sugar.");
    private static readonly Medication Levothyroxine = new("Levothyroxine", "50 mcg", "once a day", "30 days", "30 tablets", 2, "Empty stomach, 30 minutes before breakfast.");
    private static readonly Medication VitaminD = new("Cholecalciferol", "60000 IU", "once a week", "8 weeks", "8 sachets", 0, "With milk.");
    private static readonly Medication Calcium = new("Calcium carbonate with vitamin D3", "500 mg", "once a day", "60 days", "60 tablets", 1, "After dinner.");
    private static readonly Medication Pantoprazole = new("Pantoprazole", "40 mg", "once a day", "14 days", "14 tablets", 0, "Before breakfast.");
    private static readonly Medication Ondansetron = new("Ondansetron", "4 mg", "when needed", "3 days", "6 tablets", 0, "For vomiting; at most three a day.");
    private static readonly Medication Ors = new("Oral rehydration salts", "1 sachet in 1 litre of water", "after each loose stool", "3 days", "10 sachets", 0, "Sip slowly.");
    private static readonly Medication AmoxicillinSyrup = new("Amoxicillin syrup 250 mg/5 ml", "5 ml", "three times a day", "5 days", "1 bottle", 0, "Shake well; complete the course.");
    private static readonly Medication ParacetamolSyrup = new("Paracetamol syrup 250 mg/5 ml", "5 ml", "every 6 hours when needed", "3 days", "1 bottle", 0, "Only for fever above 38 °C.");
    private static readonly Medication Salbutamol = new("Salbutamol inhaler", "100 mcg, 2 puffs", "when needed", "30 days", "1 inhaler", 1, "With a spacer.", "inhaled");
    private static readonly Medication Budesonide = new("Budesonide inhaler", "200 mcg", "twice a day", "30 days", "1 inhaler", 1, "Rinse the mouth after use.", "inhaled");
    private static readonly Medication Aceclofenac = new("Aceclofenac", "100 mg", "twice a day", "5 days", "10 tablets", 0, "After food.");
    private static readonly Medication DiclofenacGel = new("Diclofenac gel 1%", "thin layer", "three times a day", "14 days", "1 tube", 0, "Rub gently over the painful area.", "topical");
    private static readonly Medication Mometasone = new("Mometasone cream 0.1%", "thin layer", "once a day", "14 days", "1 tube", 0, "Not on the face.", "topical");
    private static readonly Medication Clotrimazole = new("Clotrimazole cream 1%", "thin layer", "twice a day", "4 weeks", "2 tubes", 0, "Keep the area dry.", "topical");
    private static readonly Medication Adapalene = new("Adapalene gel 0.1%", "pea-sized amount", "once at night", "8 weeks", "1 tube", 1, "Use sunscreen by day.", "topical");
    private static readonly Medication Doxycycline = new("Doxycycline", "100 mg", "once a day", "6 weeks", "42 capsules", 0, "With a full glass of water; not before lying down.");
    private static readonly Medication Emollient = new("Liquid paraffin emollient", "apply liberally", "twice a day", "30 days", "1 bottle", 1, "Right after bathing.", "topical");

    private static readonly OrderLine Cbc = new("58410-2", "Complete blood count (CBC)");
    private static readonly OrderLine HbA1c = new("4548-4", "Glycated haemoglobin (HbA1c)");
    private static readonly OrderLine FastingGlucose = new("1558-6", "Fasting blood glucose", "Fasting for 8 to 10 hours.");
    private static readonly OrderLine LipidPanel = new("57698-3", "Lipid profile", "Fasting for 12 hours.");
    private static readonly OrderLine Tsh = new("3016-3", "Thyroid stimulating hormone (TSH)");
    private static readonly OrderLine Creatinine = new("2160-0", "Serum creatinine");
    private static readonly OrderLine LiverPanel = new("24325-3", "Liver function tests");
    private static readonly OrderLine Urinalysis = new("24356-8", "Urine routine and microscopy", "Midstream sample.");
    private static readonly OrderLine VitaminDLevel = new("1989-3", "25-hydroxy vitamin D");
    private static readonly OrderLine Crp = new("1988-5", "C-reactive protein");
    private static readonly OrderLine DengueNs1 = new("75377-2", "Dengue NS1 antigen");
    private static readonly OrderLine Electrolytes = new("24326-1", "Serum electrolytes");
    private static readonly OrderLine Troponin = new("10839-9", "Troponin I");
    private static readonly OrderLine ChestXray = new("71046", "Chest X-ray, 2 views");
    private static readonly OrderLine KneeXray = new("73562", "X-ray knee, 3 views", "Standing views.");
    private static readonly OrderLine LumbarMri = new("72148", "MRI lumbar spine without contrast");
    private static readonly OrderLine Echo = new("93306", "Echocardiogram with Doppler");
    private static readonly OrderLine Ecg = new("93000", "Electrocardiogram, 12 leads");
    private static readonly OrderLine StressTest = new("93015", "Treadmill stress test");
    private static readonly OrderLine AbdomenUltrasound = new("76700", "Ultrasound abdomen", "Fasting for 6 hours.");
    private static readonly OrderLine Nebulisation = new("94640", "Nebulisation with salbutamol");
    private static readonly OrderLine SkinBiopsy = new("11102", "Punch biopsy of skin");
    private static readonly OrderLine Physiotherapy = new("REF-PHYSIO", "Referral to physiotherapy", "Knee strengthening, 10 sessions.");
    private static readonly OrderLine Ophthalmology = new("REF-OPHTHAL", "Referral to ophthalmology", "Diabetic retinopathy screening.");
    private static readonly OrderLine Dietitian = new("REF-DIET", "Referral to dietitian");

    public static readonly Scenario[] Scenarios =
    [
        new(GeneralMedicine, "Fever and body ache", "Fever with body ache for 3 days",
            "Fever up to 39 °C for 3 days with body ache and headache; no rash, no bleeding. Two neighbours had dengue last month.",
            "constitutional", "Febrile (38.6 °C), mildly dehydrated; no rash or petechiae.",
            "A90", "Suspected dengue fever", ["Viral fever", "Malaria", "Typhoid fever"],
            [Paracetamol, Ors], [new("lab", "Repeat platelet count in 48 hours if fever persists.", Cbc, DengueNs1)],
            "Plenty of fluids; avoid ibuprofen and aspirin; come back at once for bleeding, vomiting or abdominal pain.",
            "Review in 2 days with reports."),
        new(GeneralMedicine, "Cough and sore throat", "Sore throat and dry cough for 4 days",
            "Sore throat and dry cough for 4 days, low-grade fever, no breathlessness. Non-smoker.",
            "respiratory", "Throat congested, tonsils not enlarged; chest clear.",
            "J06.9", "Acute upper respiratory infection", ["Allergic rhinitis", "Streptococcal pharyngitis"],
            [Paracetamol, Cetirizine], [],
            "Warm saline gargles, steam inhalation, rest.", "Return if fever lasts beyond 5 days."),
        new(GeneralMedicine, "Loose stools", "Loose stools and vomiting since last night",
            "Six loose watery stools and two episodes of vomiting since last night after eating outside. No blood in stool.",
            "gastrointestinal", "Mild dehydration; abdomen soft, diffuse mild tenderness; bowel sounds increased.",
            "A09", "Acute gastroenteritis", ["Food poisoning", "Cholera"],
            [Ors, Ondansetron], [new("lab", null, Electrolytes)],
            "Small frequent sips of ORS; light home food; hand hygiene.", "Review in 3 days or earlier if unable to keep fluids down."),
        new(GeneralMedicine, "Acidity", "Burning in the upper abdomen after meals",
            "Burning epigastric pain after meals for 3 weeks, worse at night; frequent tea; no weight loss or black stools.",
            "gastrointestinal", "Epigastric tenderness; no organomegaly.",
            "K21.9", "Gastro-oesophageal reflux disease", ["Peptic ulcer disease", "Functional dyspepsia"],
            [Pantoprazole], [],
            "Small meals, no food 3 hours before bed, less tea and spicy food.", "Review in 2 weeks."),
        new(Cardiology, "Blood pressure review", "High blood pressure readings at home",
            "Home readings around 150/95 for a month; occasional morning headache; no chest pain. Father had a stroke at 62.",
            "cardiovascular", "BP 152/96 mmHg, regular pulse; heart sounds normal; no oedema.",
            "I10", "Essential hypertension", ["White-coat hypertension", "Secondary hypertension"],
            [Telmisartan], [new("lab", null, Creatinine, Electrolytes, LipidPanel), new("procedure", null, Ecg)],
            "Less than 5 g of salt a day, 30 minutes of brisk walking, home BP log.", "Review in 4 weeks with the BP log."),
        new(Cardiology, "Chest pain on exertion", "Chest tightness on climbing stairs",
            "Central chest tightness on climbing two floors for 2 months, eases with rest in 5 minutes. Diabetic, smoker.",
            "cardiovascular", "Heart sounds normal; no murmur; peripheral pulses felt.",
            "I20.9", "Stable angina", ["Gastro-oesophageal reflux", "Musculoskeletal chest pain"],
            [Aspirin, Atorvastatin, Metoprolol], [new("procedure", "Stress test after echo.", Ecg, StressTest), new("imaging", null, Echo), new("lab", null, LipidPanel, Troponin)],
            "Stop smoking; come to emergency at once for pain at rest lasting over 15 minutes.", "Review in 1 week with reports."),
        new(Cardiology, "Palpitations", "Episodes of fast heartbeat",
            "Episodes of rapid regular heartbeat lasting minutes, twice a week, no fainting. Three cups of coffee a day.",
            "cardiovascular", "Pulse 88/min regular; no murmur.",
            "R00.2", "Palpitations", ["Paroxysmal supraventricular tachycardia", "Hyperthyroidism", "Anxiety"],
            [], [new("procedure", null, Ecg), new("lab", null, Tsh, Cbc, Electrolytes)],
            "Cut down caffeine; note the time and pulse during an episode.", "Review with reports in 1 week."),
        new(Pediatrics, "Fever in a child", "Fever and running nose for 2 days",
            "Fever and running nose for 2 days, eating less, playing in between fevers. Immunisations up to date.",
            "respiratory", "Active child; nasal discharge; throat mildly red; chest clear.",
            "J00", "Common cold", ["Acute otitis media", "Influenza"],
            [ParacetamolSyrup], [],
            "Fluids, saline nasal drops, sponge for fever.", "Return if fever beyond 3 days, fast breathing or poor feeding."),
        new(Pediatrics, "Ear pain", "Ear pain and fever since yesterday",
            "Crying with right ear pain since yesterday, fever 38.5 °C, recent cold.",
            "constitutional", "Right tympanic membrane red and bulging.",
            "H66.90", "Acute otitis media", ["Otitis externa"],
            [AmoxicillinSyrup, ParacetamolSyrup], [],
            "Complete the antibiotic; keep the ear dry.", "Review in 5 days."),
        new(Pediatrics, "Wheezing", "Wheezing and cough at night",
            "Night cough and wheeze for a week, worse with dust; two similar episodes last winter.",
            "respiratory", "Bilateral wheeze; no retractions; SpO2 96%.",
            "J45.909", "Asthma, mild persistent", ["Viral-induced wheeze", "Foreign body"],
            [Salbutamol, Budesonide], [new("procedure", "Given in clinic.", Nebulisation)],
            "Inhaler technique taught with spacer; avoid dust and smoke at home.", "Review in 2 weeks."),
        new(Pediatrics, "Growth check", "Routine growth and immunisation visit",
            "Routine visit; eating well; milestones normal for age.",
            "constitutional", "Weight and height on the 50th centile; normal examination.",
            "Z00.129", "Routine child health examination", [],
            [], [],
            "Balanced diet, outdoor play, next vaccines as per schedule.", "Next visit at the next immunisation."),
        new(Orthopedics, "Knee pain", "Pain in both knees on climbing stairs",
            "Pain in both knees for a year, worse on stairs and squatting, morning stiffness under 15 minutes.",
            "musculoskeletal", "Crepitus in both knees, medial joint-line tenderness; no effusion.",
            "M17.0", "Bilateral primary osteoarthritis of knee", ["Rheumatoid arthritis", "Gout"],
            [Aceclofenac, DiclofenacGel, Calcium], [new("imaging", null, KneeXray), new("referral", null, Physiotherapy)],
            "Quadriceps exercises, weight reduction, avoid squatting and sitting cross-legged.", "Review in 4 weeks."),
        new(Orthopedics, "Low back pain", "Low back pain after lifting",
            "Low back pain for 10 days after lifting a gas cylinder, no leg weakness, no bladder symptoms.",
            "musculoskeletal", "Paraspinal spasm, straight-leg raise negative, power normal.",
            "M54.5", "Mechanical low back pain", ["Lumbar disc prolapse"],
            [Aceclofenac, DiclofenacGel], [new("referral", null, Physiotherapy)],
            "Stay active, hot packs, correct lifting posture.", "Review in 2 weeks; MRI if pain goes down the leg."),
        new(Orthopedics, "Back pain with leg pain", "Back pain going down the left leg",
            "Back pain radiating down the left leg to the foot for 3 weeks with tingling.",
            "neurological", "Straight-leg raise positive at 40° on the left; ankle reflex reduced.",
            "M51.16", "Lumbar disc disorder with radiculopathy", ["Piriformis syndrome", "Spinal stenosis"],
            [Aceclofenac], [new("imaging", null, LumbarMri)],
            "Avoid heavy lifting and forward bending.", "Review with MRI in 1 week."),
        new(Dermatology, "Itchy rash", "Itchy red rash in the groin",
            "Itchy ring-shaped rash in the groin and waist for 6 weeks, used steroid cream from the pharmacy.",
            "skin", "Annular scaly plaques with active edges in both groins.",
            "B35.6", "Tinea cruris", ["Intertrigo", "Contact dermatitis"],
            [Clotrimazole, Cetirizine], [],
            "Loose cotton clothes, dry well after bathing, no steroid creams.", "Review in 4 weeks."),
        new(Dermatology, "Acne", "Pimples on the face",
            "Pimples on the face and back for a year, some leaving marks; worse before exams.",
            "skin", "Comedones, papules and pustules on the face and upper back.",
            "L70.0", "Acne vulgaris, moderate", ["Rosacea"],
            [Adapalene, Doxycycline], [],
            "Gentle face wash twice a day, do not pick, sunscreen.", "Review in 6 weeks."),
        new(Dermatology, "Dry itchy skin", "Dry, itchy patches on the arms",
            "Dry itchy patches on the elbows and behind the knees since childhood, worse in winter.",
            "skin", "Lichenified patches in the flexures; dry skin.",
            "L20.9", "Atopic dermatitis", ["Contact dermatitis", "Psoriasis"],
            [Mometasone, Emollient, Cetirizine], [],
            "Lukewarm baths, moisturise right after bathing, cotton clothes.", "Review in 3 weeks."),
        new(Dermatology, "Changing mole", "A mole on the back that has grown",
            "A mole on the back has grown and darkened in 6 months; no bleeding.",
            "skin", "7 mm irregular pigmented lesion on the upper back.",
            "D48.5", "Atypical naevus", ["Melanoma", "Seborrhoeic keratosis"],
            [], [new("procedure", "Send for histopathology.", SkinBiopsy)],
            "Sun protection; watch other moles.", "Review with biopsy report in 10 days."),
        new(Endocrinology, "Diabetes review", "Diabetes follow-up, sugars high",
            "Type 2 diabetes for 6 years on metformin; fasting sugars 160-180 at home; tingling in the feet at night.",
            "endocrine", "BMI 29; foot pulses felt; reduced vibration sense in both feet.",
            "E11.9", "Type 2 diabetes mellitus without complications", ["Diabetic peripheral neuropathy"],
            [Metformin, Glimepiride], [new("lab", null, HbA1c, FastingGlucose, Creatinine, LipidPanel), new("referral", null, Ophthalmology, Dietitian)],
            "Diet plan, 150 minutes of walking a week, foot care, sugar log.", "Review in 3 months with HbA1c."),
        new(Endocrinology, "Thyroid follow-up", "Tiredness and weight gain",
            "Tiredness, weight gain of 4 kg in 6 months, feeling cold; mother has hypothyroidism.",
            "endocrine", "Dry skin, delayed ankle reflexes; thyroid not enlarged.",
            "E03.9", "Hypothyroidism", ["Depression", "Anaemia"],
            [Levothyroxine], [new("lab", null, Tsh, Cbc)],
            "Take the tablet on an empty stomach, apart from tea and calcium.", "Repeat TSH in 6 weeks."),
        new(Endocrinology, "Vitamin D deficiency", "Body pain and fatigue",
            "Diffuse body pain and fatigue for 3 months; little sun exposure, works indoors.",
            "musculoskeletal", "Mild tenderness over the shins; normal strength.",
            "E55.9", "Vitamin D deficiency", ["Hypothyroidism", "Fibromyalgia"],
            [VitaminD, Calcium], [new("lab", null, VitaminDLevel, Crp)],
            "20 minutes of morning sun; milk and curd.", "Review in 8 weeks."),
    ];

    public static readonly ILookup<string, Scenario> BySpecialty = Scenarios.ToLookup(s => s.Specialty, StringComparer.Ordinal);

    private static readonly Dictionary<string, Scenario> ByComplaint = Scenarios.ToDictionary(s => s.ChiefComplaint, StringComparer.Ordinal);

    /// <summary>The visit an encounter's chief complaint came from, if it came from this catalogue.</summary>
    public static Scenario? ForComplaint(string? complaint) =>
        complaint is not null && ByComplaint.TryGetValue(complaint, out var scenario) ? scenario : null;

    // Bogus's en_IND locale does not tell male from female first names, so the Indian ones are ours.
    public static readonly string[] IndianFemaleNames =
    [
        "Aarti", "Aishwarya", "Ananya", "Anjali", "Bhavna", "Deepa", "Divya", "Fatima", "Gayatri", "Geeta", "Harini", "Ishita",
        "Jaya", "Kavya", "Kiran", "Lakshmi", "Lata", "Madhuri", "Meera", "Neha", "Nandini", "Pooja", "Radha", "Rekha",
        "Ritu", "Sanjana", "Saraswati", "Shabana", "Shreya", "Sunita", "Swati", "Tanvi", "Uma", "Vandana", "Yamini", "Zoya",
    ];

    public static readonly string[] IndianMaleNames =
    [
        "Aarav", "Abhishek", "Aditya", "Ajay", "Amit", "Anil", "Arjun", "Ashok", "Deepak", "Farhan", "Ganesh", "Gurpreet",
        "Harish", "Irfan", "Jitendra", "Karthik", "Kunal", "Mahesh", "Manoj", "Mohan", "Nikhil", "Pranav", "Rahul", "Rajesh",
        "Ravi", "Rohan", "Sandeep", "Sanjay", "Suresh", "Tarun", "Varun", "Venkatesh", "Vijay", "Vivek", "Yusuf", "Zubin",
    ];

    public static readonly string[] Allergies =
        ["Penicillin", "Sulfonamides", "Aspirin", "Ibuprofen", "Peanuts", "Shellfish", "Dust mites", "Latex", "Eggs", "Pollen"];

    public static readonly string[] BloodGroups = ["O+", "B+", "A+", "AB+", "O-", "B-", "A-", "AB-"];

    /// <summary>Roughly how common each group is in India, in the order of <see cref="BloodGroups"/>.</summary>
    public static readonly float[] BloodGroupWeights = [0.37f, 0.32f, 0.22f, 0.07f, 0.008f, 0.007f, 0.004f, 0.001f];

    public static readonly (string City, string State, string PinPrefix)[] Cities =
    [
        ("Bengaluru", "Karnataka", "560"), ("Mysuru", "Karnataka", "570"), ("Chennai", "Tamil Nadu", "600"),
        ("Coimbatore", "Tamil Nadu", "641"), ("Hyderabad", "Telangana", "500"), ("Pune", "Maharashtra", "411"),
        ("Mumbai", "Maharashtra", "400"), ("Kochi", "Kerala", "682"), ("Thiruvananthapuram", "Kerala", "695"),
        ("Kolkata", "West Bengal", "700"), ("New Delhi", "Delhi", "110"), ("Jaipur", "Rajasthan", "302"),
        ("Ahmedabad", "Gujarat", "380"), ("Lucknow", "Uttar Pradesh", "226"), ("Bhubaneswar", "Odisha", "751"),
    ];

    public static readonly string[] Relations = ["Spouse", "Father", "Mother", "Son", "Daughter", "Brother", "Sister", "Friend"];

    /// <summary>External pharmacies and laboratories (kept outside this database, hence fixed ids).</summary>
    public static readonly Guid[] Pharmacies =
    [
        Guid.Parse("8f1d2c3a-0b7e-4c5f-9a1d-3e2f4b5c6d70"), Guid.Parse("8f1d2c3a-0b7e-4c5f-9a1d-3e2f4b5c6d71"),
        Guid.Parse("8f1d2c3a-0b7e-4c5f-9a1d-3e2f4b5c6d72"),
    ];

    public static readonly Guid[] Providers =
    [
        Guid.Parse("4a6b8c0d-2e4f-4a6b-8c0d-2e4f6a8b0c10"), Guid.Parse("4a6b8c0d-2e4f-4a6b-8c0d-2e4f6a8b0c11"),
    ];
}
