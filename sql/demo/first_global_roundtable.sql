-- Demo data: the first Global Roundtable on ICT Security Capacity-Building
-- (United Nations Headquarters, New York, 10 May 2024).
--
-- Loaded by `roundtable demo`, in one transaction, only when no roundtable carries the title
-- below, so this file may assume it has not run before. It names no ids: every reference is
-- looked up by name (the newest row with that name, i.e. the one this file just inserted), and
-- a name that does not resolve fails the load on a NOT NULL column rather than dropping a row.
-- No BEGIN/COMMIT here, no psql meta-commands, and no ';' inside string literals.
--
-- The people, e-mail addresses and organisations are invented (addresses use the reserved
-- .example top-level domain). States are real and named as in the countries table. The needs
-- and offers are illustrative: they describe typical capacity-building requests, not the actual
-- positions or programmes of any State.
--
-- Shape, for whoever edits it: 30 States (all five regional groups, 1-3 needs each), 12 donors
-- and implementers (2-5 offers each), 2 organizers, 60 needs (25 in English, 10 in Spanish,
-- 7 in French, 6 each in Arabic, Russian and Chinese: a need's first language is the language
-- it is written in) and 40 offers. Most needs have a few feasible offers, some offers are
-- wanted by several needs, and a few needs have none (a language, window or region that no
-- offer meets), so the summary has unmet needs to explain.

INSERT INTO roundtables (title, starts_on, ends_on, location, description, status) VALUES
  ('First Global Roundtable on ICT Security Capacity-Building', '2024-05-10', '2024-05-10',
   'United Nations Headquarters, New York',
   'Convened by the Open-Ended Working Group on security of and in the use of information and communications technologies, the first high-level Global Roundtable on ICT security capacity-building brings together capacity-building practitioners, States and stakeholders. Participants exchange ideas and good practice, match the needs States have identified with offers of support, and build partnerships that are demand-driven, tailored and transparent.',
   'open');

-- ---------------------------------------------------------------------------------------------
-- Participants. A State's region is derived from its country by the participants trigger.
-- ---------------------------------------------------------------------------------------------
INSERT INTO participants (name, kind, country, languages, contact_name, contact_email) VALUES
  -- African Group
  ('Kenya', 'state', 'KEN', ARRAY['en', 'sw'], 'Cyber Diplomacy Desk, Ministry of Foreign Affairs', 'cyber-desk@mfa.ke.example'),
  ('Nigeria', 'state', 'NGA', ARRAY['en', 'ha', 'yo', 'ig'], 'Office of the National Cybersecurity Coordinator', 'coordination@cyber.ng.example'),
  ('Ghana', 'state', 'GHA', ARRAY['en'], 'International Cooperation Unit, Cyber Security Authority', 'intl-coop@csa.gh.example'),
  ('Senegal', 'state', 'SEN', ARRAY['fr', 'wo', 'en'], 'Cellule cyber, ministère des Affaires étrangères', 'cellule-cyber@diplomatie.sn.example'),
  ('Côte d''Ivoire', 'state', 'CIV', ARRAY['fr'], 'Direction de la cybersécurité, ministère de la Transition numérique', 'cooperation@cyber.ci.example'),
  ('Morocco', 'state', 'MAR', ARRAY['ar', 'fr', 'en'], 'Pôle cybersécurité, ministère des Affaires étrangères', 'cyber@diplomatie.ma.example'),
  ('Tunisia', 'state', 'TUN', ARRAY['ar', 'fr', 'en'], 'Cellule de coopération internationale en cybersécurité', 'cooperation-cyber@gov.tn.example'),
  -- Asia-Pacific Group
  ('Indonesia', 'state', 'IDN', ARRAY['id', 'en'], 'Directorate of International Security, Ministry of Foreign Affairs', 'cyber-desk@kemlu.id.example'),
  ('Philippines', 'state', 'PHL', ARRAY['en', 'tl'], 'Cybersecurity Bureau, Department of ICT', 'cyber-bureau@dict.ph.example'),
  ('Viet Nam', 'state', 'VNM', ARRAY['vi', 'en'], 'Cyber Affairs Desk, Ministry of Foreign Affairs', 'cyber-desk@mofa.vn.example'),
  ('Fiji', 'state', 'FJI', ARRAY['en', 'fj'], 'Digital Government Cyber Unit', 'cyber-unit@digital.fj.example'),
  ('Jordan', 'state', 'JOR', ARRAY['ar', 'en'], 'International Cooperation Directorate, National Cyber Security Centre', 'intl@ncsc.jo.example'),
  ('Lao People''s Democratic Republic', 'state', 'LAO', ARRAY['lo', 'zh', 'en'], 'Cybersecurity Cooperation Desk, Ministry of Technology and Communications', 'coop-cyber@mtc.la.example'),
  ('Cambodia', 'state', 'KHM', ARRAY['km', 'zh', 'en', 'fr'], 'Digital Security Cooperation Office', 'cooperation@digital-security.kh.example'),
  ('Kyrgyzstan', 'state', 'KGZ', ARRAY['ky', 'ru'], 'International Cooperation Department, National CSIRT', 'intl@csirt.kg.example'),
  ('Mongolia', 'state', 'MNG', ARRAY['mn', 'ru', 'zh', 'en'], 'Cybersecurity Policy Division, Ministry of Foreign Affairs', 'cyber-policy@mfa.mn.example'),
  -- Eastern European Group
  ('Albania', 'state', 'ALB', ARRAY['sq', 'en'], 'International Relations Unit, National Cyber Security Authority', 'intl@cyber.al.example'),
  ('Republic of Moldova', 'state', 'MDA', ARRAY['ro', 'ru', 'en'], 'Cyber Security Cooperation Desk', 'cooperation@cyber.md.example'),
  ('Georgia', 'state', 'GEO', ARRAY['ka', 'en'], 'Cyber Security Policy Department', 'policy@cyber.ge.example'),
  ('North Macedonia', 'state', 'MKD', ARRAY['mk', 'en'], 'National Cyber Security Council Secretariat', 'secretariat@cyber.mk.example'),
  ('Armenia', 'state', 'ARM', ARRAY['hy', 'ru', 'en'], 'Information Security Department, Ministry of Foreign Affairs', 'infosec@mfa.am.example'),
  ('Ukraine', 'state', 'UKR', ARRAY['uk', 'en'], 'International Cooperation Unit, State Cyber Protection Centre', 'intl@cyber.ua.example'),
  -- Latin American and Caribbean Group
  ('Colombia', 'state', 'COL', ARRAY['es', 'en'], 'Grupo de Asuntos Cibernéticos, Cancillería', 'ciberasuntos@cancilleria.co.example'),
  ('Dominican Republic', 'state', 'DOM', ARRAY['es'], 'Centro Nacional de Ciberseguridad, Cooperación Internacional', 'cooperacion@ciberseguridad.do.example'),
  ('Costa Rica', 'state', 'CRI', ARRAY['es', 'en'], 'Dirección de Ciberseguridad', 'cooperacion@ciberseguridad.cr.example'),
  ('Paraguay', 'state', 'PRY', ARRAY['es', 'gn'], 'Dirección General de Ciberseguridad', 'ciberseguridad@gov.py.example'),
  ('Peru', 'state', 'PER', ARRAY['es', 'qu'], 'Secretaría de Gobierno y Transformación Digital, Seguridad Digital', 'seguridad-digital@gob.pe.example'),
  ('Jamaica', 'state', 'JAM', ARRAY['en'], 'Cyber Incident Response Team, International Liaison', 'liaison@cirt.jm.example'),
  -- Western European and Others Group
  ('San Marino', 'state', 'SMR', ARRAY['it', 'en'], 'Legal Affairs Office, Department of Foreign Affairs', 'legal-affairs@esteri.sm.example'),
  ('Monaco', 'state', 'MCO', ARRAY['fr', 'en'], 'Agence de sécurité numérique, relations internationales', 'international@securite-numerique.mc.example'),
  -- Donors and implementers (invented organisations)
  ('Global Cyber Capacity Fund', 'donor', NULL, ARRAY['en', 'fr', 'es'], 'Grants Team', 'grants@cyber-capacity-fund.example'),
  ('Nordic CERT Partnership', 'implementer', 'NOR', ARRAY['en'], 'Programme Office', 'programmes@nordic-cert-partnership.example'),
  ('Pacific Digital Resilience Initiative', 'implementer', 'NZL', ARRAY['en'], 'Pacific Programmes Lead', 'pacific@digital-resilience.example'),
  ('Francophone Cyber Academy', 'implementer', 'FRA', ARRAY['fr'], 'Direction des partenariats', 'partenariats@academie-cyber-francophone.example'),
  ('Andean Cybercrime Training Institute', 'implementer', 'ECU', ARRAY['es', 'en'], 'Coordinación Académica', 'academico@instituto-andino-ciberdelito.example'),
  ('Centre for Cyber Diplomacy', 'implementer', 'CHE', ARRAY['en', 'fr', 'es', 'ar'], 'Training and Advisory Services', 'advisory@cyber-diplomacy-centre.example'),
  ('Mekong Digital Security Cooperation Centre', 'implementer', 'CHN', ARRAY['zh', 'en'], '培训合作部', 'training@mekong-digital-security.example'),
  ('Eurasian Cyber Skills Network', 'implementer', 'KAZ', ARRAY['ru', 'en'], 'Network Secretariat', 'secretariat@eurasian-cyber-skills.example'),
  ('Maghreb-Mashreq Cyber Capacity Programme', 'implementer', 'MLT', ARRAY['ar', 'fr', 'en'], 'Programme Management Unit', 'pmu@maghreb-mashreq-cyber.example'),
  ('Women in Cyber Leadership Fund', 'donor', 'CAN', ARRAY['en', 'fr', 'es'], 'Fund Secretariat', 'apply@women-cyber-leadership.example'),
  ('Transatlantic Cyber Resilience Foundation', 'donor', 'USA', ARRAY['en', 'es'], 'Grants and Programmes', 'grants@transatlantic-cyber-resilience.example'),
  ('Forensic Laboratories Without Borders', 'implementer', 'NLD', ARRAY['en', 'fr', 'es'], 'Field Operations', 'field@forensic-labs-without-borders.example'),
  -- Organizers
  ('OEWG Roundtable Secretariat', 'organizer', NULL, ARRAY['en', 'fr', 'es', 'ar', 'ru', 'zh'], 'Roundtable Secretariat', 'secretariat@ict-roundtable.example'),
  ('Roundtable Matchmaking Desk', 'organizer', NULL, ARRAY['en', 'fr', 'es'], 'Matchmaking Desk', 'matchmaking@ict-roundtable.example');

-- ---------------------------------------------------------------------------------------------
-- Needs: 60, posted by the States, each in the language its delegation works in.
-- ---------------------------------------------------------------------------------------------
INSERT INTO needs (roundtable_id, participant_id, title, description, themes, languages, modality,
                   window_start, window_end, budget_usd, priority, max_partners, status)
SELECT rt.id, p.id, v.title, v.description, v.themes, v.languages, v.modality,
       v.window_start::date, v.window_end::date, v.budget_usd::numeric, v.priority, v.max_partners, 'open'
FROM (VALUES
  -- Kenya
  (1, 'Kenya', 'Sector CSIRTs for energy and financial services',
   'The national CSIRT coordinates incident response for the whole country, but the energy and banking sectors have no dedicated teams. We seek technical assistance to set up two sector CSIRTs over 18 months, covering their governance model, playbooks, tooling and training for 20 analysts.',
   ARRAY['incident.csirt_establishment', 'incident.critical_infrastructure'], ARRAY['en', 'sw'], 'hybrid', '2024-09-01', '2026-02-28', 450000, 'high', 2),
  (2, 'Kenya', 'Training of prosecutors and judicial officers on electronic evidence',
   'Cybercrime cases are rising, yet few prosecutors and judicial officers have handled electronic evidence. We request a training programme for 40 prosecutors and 25 judicial officers in 2025, delivered in Nairobi and Mombasa, with a train-the-trainers component for the judicial training institute.',
   ARRAY['cybercrime.investigation', 'skills.education'], ARRAY['en'], 'in_person', '2025-01-15', '2025-11-30', NULL, 'medium', 1),
  -- Nigeria
  (3, 'Nigeria', 'Second digital forensics laboratory for the police cybercrime unit',
   'Seized devices are sent to a single overburdened laboratory, with backlogs of up to nine months. We seek equipment and accredited training to establish a second forensics laboratory in Abuja staffed by 12 examiners, operational by the end of 2025.',
   ARRAY['cybercrime.digital_forensics', 'cybercrime.investigation'], ARRAY['en'], 'in_person', '2024-10-01', '2025-12-31', 600000, 'high', 2),
  (4, 'Nigeria', 'Nationwide cyber hygiene campaign for small businesses',
   'Small and medium-sized enterprises are the most frequent victims of business email compromise and ransomware reported to the national CERT. We plan a 12-month campaign in English, Hausa and Yoruba reaching 50,000 businesses through radio, SMS and trade associations, and need support for content design and impact measurement.',
   ARRAY['skills.awareness'], ARRAY['en', 'ha', 'yo'], 'any', '2025-01-01', '2025-12-31', 150000, 'medium', 1),
  -- Ghana
  (5, 'Ghana', 'Compliance framework for critical information infrastructure',
   'Ghana has designated its critical information infrastructure sectors, but the directives on risk assessments and audits are still in draft. We seek policy advice to finalise the compliance framework and to train 30 sector regulators to audit against it during 2025.',
   ARRAY['incident.critical_infrastructure', 'strategy.policy_legislation'], ARRAY['en'], 'hybrid', '2025-02-01', '2025-10-31', NULL, 'high', 1),
  (6, 'Ghana', 'Scholarships and internships to grow the cybersecurity workforce',
   'We estimate a shortage of about 3,000 cybersecurity professionals. We are looking for partners to fund 100 certification scholarships and to host 30 graduates in six-month internships with CSIRTs and security operations centres in 2025 and 2026, with at least half of the places reserved for women.',
   ARRAY['skills.workforce', 'skills.gender_inclusion'], ARRAY['en'], 'any', '2025-01-01', '2026-12-31', 250000, 'medium', 2),
  -- Senegal
  (7, 'Senegal', 'Mise en place des points de contact nationaux pour le répertoire mondial',
   'Le Sénégal souhaite désigner et rendre opérationnels, d''ici la fin de 2024, ses points de contact diplomatique et technique pour le répertoire mondial. Nous avons besoin d''un appui pour définir les procédures internes entre le ministère des Affaires étrangères et le CSIRT national, et pour former une dizaine d''agents au traitement des demandes.',
   ARRAY['cbm.poc_directory', 'cbm.crisis_communication'], ARRAY['fr'], 'online', '2024-06-15', '2024-12-15', NULL, 'high', 1),
  (8, 'Senegal', 'Révision de la stratégie nationale de cybersécurité',
   'Notre stratégie nationale de cybersécurité, adoptée en 2017, arrive à échéance. Nous recherchons une assistance technique pour évaluer sa mise en œuvre, organiser des consultations avec le secteur privé et la société civile, puis rédiger une nouvelle stratégie pour la période 2025-2030.',
   ARRAY['strategy.national_strategy', 'strategy.governance'], ARRAY['fr'], 'hybrid', '2024-09-01', '2025-06-30', 120000, 'medium', 1),
  (9, 'Senegal', 'Formation d''analystes pour le CSIRT national',
   'Le CSIRT national compte aujourd''hui six analystes pour l''ensemble du pays. Nous souhaitons former 15 nouveaux analystes à la réponse aux incidents, à l''analyse de logiciels malveillants et à la gestion des vulnérabilités sur 18 mois, de préférence en français.',
   ARRAY['incident.incident_response', 'skills.workforce'], ARRAY['fr', 'en'], 'any', '2025-01-01', '2026-06-30', NULL, 'medium', 2),
  -- Côte d'Ivoire
  (10, 'Côte d''Ivoire', 'Formation des enquêteurs de l''unité de lutte contre la cybercriminalité',
   'Notre unité spécialisée traite plus de 5 000 plaintes par an, principalement pour des escroqueries en ligne. Nous avons besoin de formations en investigation numérique et en coopération internationale (demandes d''entraide, conservation rapide des données) pour 30 enquêteurs en 2025.',
   ARRAY['cybercrime.investigation', 'cybercrime.international_cooperation'], ARRAY['fr'], 'in_person', '2025-01-01', '2025-12-31', NULL, 'high', 2),
  (11, 'Côte d''Ivoire', 'Équipement d''un laboratoire de criminalistique numérique',
   'Les enquêteurs ne disposent aujourd''hui que de deux postes d''extraction de données mobiles. Nous recherchons un financement ou un don d''équipements (stations d''analyse, logiciels sous licence, bloqueurs d''écriture) pour un laboratoire de huit postes à Abidjan, ainsi qu''une formation à leur utilisation.',
   ARRAY['cybercrime.digital_forensics'], ARRAY['fr'], 'in_person', '2025-03-01', '2025-12-31', 350000, 'high', 1),
  (12, 'Côte d''Ivoire', 'Sensibilisation des élèves et des parents aux risques en ligne',
   'Nous préparons pour l''année scolaire 2025-2026 une campagne nationale dans les écoles, collèges et lycées, qui doit toucher 200 000 élèves. Nous avons besoin d''un appui pour concevoir des supports pédagogiques en français et former 500 enseignants relais.',
   ARRAY['skills.awareness', 'skills.education'], ARRAY['fr'], 'any', '2025-09-01', '2026-07-31', 80000, 'low', 1),
  -- Morocco
  (13, 'Morocco', 'تعزيز قدرات رصد الحوادث السيبرانية والاستجابة لها لدى مشغلي البنى التحتية الحيوية',
   'نسعى إلى تدريب 40 مهندساً من مشغلي البنى التحتية الحيوية في قطاعات الطاقة والمياه والنقل على رصد الحوادث السيبرانية والاستجابة لها. ونرغب كذلك في تنظيم تمرين محاكاة وطني خلال عام 2025 بمشاركة الجهات الحكومية والقطاع الخاص.',
   ARRAY['incident.critical_infrastructure', 'incident.incident_response'], ARRAY['ar', 'fr'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 'high', 2),
  (14, 'Morocco', 'إعداد موقف وطني بشأن تطبيق القانون الدولي في مجال تكنولوجيا المعلومات والاتصالات',
   'تعمل وزارة الشؤون الخارجية على صياغة موقف وطني بشأن كيفية انطباق القانون الدولي على استخدام الدول لتكنولوجيا المعلومات والاتصالات. ونحتاج إلى دعم خبراء قانونيين لتنظيم ورشتي عمل لفائدة 20 دبلوماسياً ومستشاراً قانونياً، ومراجعة مشروع الموقف قبل نهاية عام 2025.',
   ARRAY['law.national_positions', 'law.application_training'], ARRAY['ar', 'fr'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 'medium', 1),
  -- Tunisia
  (15, 'Tunisia', 'مواءمة التشريع الوطني لمكافحة الجرائم الإلكترونية مع الصكوك الدولية',
   'ترد الأحكام المتعلقة بالجرائم الإلكترونية حالياً في نصوص قانونية متفرقة. ونطلب مساعدة تقنية لتحليل الثغرات مقارنةً بالصكوك الدولية ذات الصلة وإعداد مشروع قانون موحّد خلال عام 2025، مع ضمانات لحماية حقوق الإنسان والمعطيات الشخصية.',
   ARRAY['cybercrime.legislation', 'strategy.policy_legislation'], ARRAY['ar', 'fr'], 'online', '2025-01-01', '2025-12-31', NULL, 'high', 1),
  (16, 'Tunisia', 'برنامج لتعزيز مشاركة المرأة في مهن الأمن السيبراني',
   'لا تتجاوز نسبة النساء في فرق الأمن السيبراني الوطنية 15 في المائة. ونرغب في إطلاق برنامج إرشاد وتدريب لفائدة 60 طالبة وخريجة في اختصاصات الإعلامية خلال عامي 2025 و2026، بالشراكة مع الجامعات والهياكل العمومية المختصة.',
   ARRAY['skills.gender_inclusion', 'skills.workforce'], ARRAY['ar', 'fr', 'en'], 'any', '2025-01-01', '2026-12-31', 90000, 'medium', 2),
  -- Indonesia
  (17, 'Indonesia', 'Ransomware readiness for provincial governments',
   'Ransomware attacks against local government services are increasing. We seek technical assistance to develop incident response playbooks and to run tabletop exercises for the IT teams of 10 provinces during 2025, coordinated by the national cyber agency, together with a channel for sharing indicators between provinces.',
   ARRAY['incident.incident_response', 'incident.threat_information_sharing'], ARRAY['en', 'id'], 'hybrid', '2025-02-01', '2025-11-30', NULL, 'high', 2),
  (18, 'Indonesia', 'Secure software development for government digital services',
   'Indonesia is consolidating hundreds of government applications into a national digital services platform. We need training for 50 developers and procurement officers on secure development lifecycles and software supply chain risk, and a pilot code-review process in place by mid-2026.',
   ARRAY['standards.secure_development', 'standards.supply_chain'], ARRAY['en'], 'online', '2025-06-01', '2026-06-30', NULL, 'medium', 1),
  -- Philippines
  (19, 'Philippines', 'Countering online scam operations: investigation and international cooperation',
   'Law enforcement faces large-scale online fraud operations with victims and servers in several countries. We seek training for 35 investigators and prosecutors on cryptocurrency tracing, cross-border preservation requests and joint investigations in 2025.',
   ARRAY['cybercrime.investigation', 'cybercrime.international_cooperation'], ARRAY['en'], 'in_person', '2025-03-01', '2025-10-31', NULL, 'high', 2),
  (20, 'Philippines', 'Information security officers for local government units',
   'Our national cybersecurity plan calls for an information security officer in every local government unit. We seek a train-the-trainers programme for 120 officers across Luzon, Visayas and Mindanao, combining online modules with regional workshops.',
   ARRAY['strategy.governance', 'skills.education'], ARRAY['en', 'tl'], 'hybrid', NULL, NULL, 70000, 'medium', 1),
  -- Viet Nam
  (21, 'Viet Nam', 'Threat information sharing platform for the banking sector',
   'Banks currently report incidents to the central bank and to the national response centre through separate channels. We seek technical assistance to design a sector information sharing and analysis centre, including a MISP-based platform, Traffic Light Protocol rules and training for 25 analysts, by the end of 2025.',
   ARRAY['incident.threat_information_sharing', 'incident.critical_infrastructure'], ARRAY['en'], 'hybrid', '2024-11-01', '2025-12-31', NULL, 'medium', 1),
  (22, 'Viet Nam', 'First voluntary national report on the implementation of the norms',
   'We intend to submit our first voluntary national survey on the implementation of the norms of responsible State behaviour in 2025. We need guidance on methodology and an inter-agency workshop for 20 officials from the ministries of foreign affairs, public security, information and communications, and defence.',
   ARRAY['norms.national_reporting', 'norms.implementation'], ARRAY['en'], 'online', '2024-09-01', '2025-06-30', NULL, 'low', 1),
  -- Fiji
  (23, 'Fiji', 'Establishing a national CSIRT',
   'Fiji does not yet have an operational national CSIRT. We seek technical assistance to establish one within 24 months: its mandate and legal basis, a staffing plan for an initial team of eight, tooling, and membership of regional and global CSIRT networks.',
   ARRAY['incident.csirt_establishment'], ARRAY['en'], 'in_person', '2024-07-01', '2026-06-30', 500000, 'high', 2),
  (24, 'Fiji', 'Resilience of submarine cable landing stations and telecommunications operators',
   'The economy depends on a small number of submarine cables. We request support for a risk assessment of the cable landing stations and core networks, and for a crisis communication exercise with the telecommunications operators and neighbouring Pacific States in 2025.',
   ARRAY['incident.critical_infrastructure', 'cbm.crisis_communication'], ARRAY['en'], 'in_person', '2025-04-01', '2025-09-30', NULL, 'medium', 1),
  -- Jordan
  (25, 'Jordan', 'تحديث مختبر الأدلة الجنائية الرقمية في وحدة مكافحة الجرائم الإلكترونية',
   'تتلقى وحدة مكافحة الجرائم الإلكترونية آلاف البلاغات سنوياً، في حين يعمل مختبرها الحالي بمعدات قديمة. ونحتاج إلى تمويل لشراء معدات لتحليل الهواتف المحمولة والحواسيب، وتدريب 10 فنيين تمهيداً للحصول على الاعتماد الدولي بحلول منتصف عام 2026.',
   ARRAY['cybercrime.digital_forensics'], ARRAY['ar', 'en'], 'in_person', '2025-01-01', '2026-06-30', 400000, 'high', 1),
  (26, 'Jordan', 'وضع خطة وطنية لتنفيذ قواعد السلوك المسؤول للدول في الفضاء السيبراني',
   'نسعى إلى إعداد خطة وطنية لتنفيذ القواعد الإحدى عشرة للسلوك المسؤول للدول، تحدد الجهات المسؤولة عن كل قاعدة ومؤشرات متابعة التنفيذ. ونطلب تنظيم ورشة عمل لمدة ثلاثة أيام لفائدة 25 مسؤولاً من الوزارات والأجهزة المعنية خلال عام 2025.',
   ARRAY['norms.implementation', 'cbm.transparency'], ARRAY['ar', 'en'], 'in_person', '2025-03-01', '2025-12-31', NULL, 'medium', 1),
  -- Lao People's Democratic Republic
  (27, 'Lao People''s Democratic Republic', '提升国家计算机应急响应中心的事件处置能力',
   '我国国家计算机应急响应中心目前仅有8名技术人员，难以应对日益增多的网络攻击。我们希望在2025年内为20名技术人员提供事件处置、日志分析和恶意代码分析培训，并协助建立全天候值班机制。',
   ARRAY['incident.incident_response', 'incident.csirt_establishment'], ARRAY['zh', 'lo'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 'high', 1),
  (28, 'Lao People''s Democratic Republic', '制定国家网络安全战略及配套政策',
   '老挝尚未出台综合性的国家网络安全战略。我们希望获得政策咨询支持，在2025年至2026年间完成战略起草、部门间协调和公众意见征求，并为15名政府官员举办战略规划研讨会。',
   ARRAY['strategy.national_strategy', 'strategy.policy_legislation'], ARRAY['zh', 'lo'], 'online', '2025-03-01', '2026-03-31', NULL, 'medium', 1),
  (29, 'Lao People''s Democratic Republic', '加强打击跨境网络诈骗的执法合作',
   '近年来，跨境网络诈骗案件数量大幅上升，涉及多个邻国。我们需要为30名警务人员提供电子取证和跨境司法协助程序方面的培训，并建立与邻国执法机构的联络机制。',
   ARRAY['cybercrime.international_cooperation', 'cybercrime.investigation'], ARRAY['zh', 'lo'], 'in_person', '2024-10-01', '2025-09-30', NULL, 'high', 2),
  -- Cambodia
  (30, 'Cambodia', '网络犯罪立法能力建设',
   '柬埔寨正在起草网络犯罪法。我们希望获得国际专家的技术援助，对照相关国际文书审查草案条款，并于2025年上半年为议会工作人员和司法部官员举办两期立法研讨会。',
   ARRAY['cybercrime.legislation'], ARRAY['zh', 'km', 'en'], 'hybrid', '2025-01-01', '2025-06-30', NULL, 'high', 1),
  (31, 'Cambodia', '公务员网络安全意识培训',
   '政府部门频繁遭受钓鱼邮件攻击。我们计划在2025年至2026年期间为约5000名公务员开展网络安全意识培训，需要在线课程平台、高棉语和中文培训材料，并培养100名内部培训师。',
   ARRAY['skills.awareness', 'skills.education'], ARRAY['zh', 'km', 'en'], 'online', '2025-01-01', '2026-12-31', 60000, 'medium', 1),
  -- Kyrgyzstan
  (32, 'Kyrgyzstan', 'Создание отраслевых центров реагирования на компьютерные инциденты',
   'В стране действует национальный центр реагирования на компьютерные инциденты, однако в энергетике и банковском секторе собственных групп реагирования нет. Просим оказать техническое содействие в создании двух отраслевых групп, разработке регламентов взаимодействия с национальным центром и обучении 20 специалистов в 2025–2026 годах.',
   ARRAY['incident.csirt_establishment', 'incident.critical_infrastructure'], ARRAY['ru', 'ky'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 'high', 1),
  (33, 'Kyrgyzstan', 'Подготовка специалистов по кибербезопасности в высших учебных заведениях',
   'Вузы страны ежегодно выпускают менее 50 специалистов по информационной безопасности. Мы ищем партнёров для разработки магистерской программы по кибербезопасности, повышения квалификации 25 преподавателей и оснащения учебной лаборатории к 2026 году.',
   ARRAY['skills.education', 'skills.workforce'], ARRAY['ru', 'ky'], 'any', '2025-02-01', '2026-09-30', 200000, 'medium', 2),
  -- Mongolia
  (34, 'Mongolia', 'Обучение дипломатов применению международного права в сфере ИКТ',
   'Министерство иностранных дел готовит национальную позицию о применении международного права к использованию ИКТ государствами. Просим организовать серию онлайн-семинаров для 15 дипломатов и юристов в первой половине 2025 года.',
   ARRAY['law.application_training', 'law.national_positions'], ARRAY['ru', 'mn'], 'online', '2025-01-15', '2025-06-30', NULL, 'medium', 1),
  (35, 'Mongolia', '关键信息基础设施供应链安全评估',
   '我国能源和电信运营商使用的网络设备来自多家供应商，供应链风险尚未得到系统评估。我们希望获得技术援助，建立供应链安全评估方法，于2025年内在两个关键行业开展试点评估，并培训10名评估人员。',
   ARRAY['standards.supply_chain'], ARRAY['zh', 'mn'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 'medium', 1),
  -- Albania
  (36, 'Albania', 'Rebuilding and hardening government systems after destructive attacks',
   'Following destructive cyberattacks on government systems in 2022, Albania is rebuilding its e-government infrastructure. We request technical assistance for a security architecture review, a 24/7 security operations centre for State institutions staffed by 15 analysts, and incident response support through 2025.',
   ARRAY['incident.incident_response', 'incident.critical_infrastructure'], ARRAY['en', 'sq'], 'hybrid', '2024-07-01', '2025-12-31', 300000, 'high', 2),
  (37, 'Albania', 'Electronic evidence and cross-border data requests',
   'Prosecutors increasingly need data held by foreign service providers. We seek training for 30 prosecutors and police officers on mutual legal assistance, preservation requests and direct cooperation with service providers, in two sessions in 2025.',
   ARRAY['cybercrime.international_cooperation', 'cybercrime.investigation'], ARRAY['en'], 'in_person', '2025-02-01', '2025-11-30', NULL, 'medium', 1),
  -- Republic of Moldova
  (38, 'Republic of Moldova', 'Protecting election infrastructure',
   'Moldova holds a presidential election in 2024 and parliamentary elections in 2025. We seek support to assess the security of the electoral commission''s IT systems, to monitor them around the clock for 30 days around each vote, and to train 20 staff in incident response.',
   ARRAY['incident.critical_infrastructure', 'incident.incident_response'], ARRAY['en', 'ro'], 'hybrid', '2024-07-01', '2025-09-30', NULL, 'high', 2),
  (39, 'Republic of Moldova', 'Повышение квалификации экспертов по цифровой криминалистике',
   'В отделе цифровой криминалистики работают пять экспертов, и проведение экспертиз занимает до шести месяцев. Просим организовать углублённое обучение анализу мобильных устройств и облачных данных для 10 экспертов в 2025 году.',
   ARRAY['cybercrime.digital_forensics'], ARRAY['ru', 'ro'], 'in_person', '2025-01-01', '2025-12-31', NULL, 'medium', 1),
  -- Georgia
  (40, 'Georgia', 'Evaluating and renewing the national cybersecurity strategy',
   'The current national cybersecurity strategy expires at the end of 2024. We seek policy advice to evaluate its implementation, align the next strategy with the evolving regulatory framework and design a monitoring framework with measurable indicators, all within the second half of 2024.',
   ARRAY['strategy.national_strategy', 'strategy.governance'], ARRAY['en', 'ka'], 'online', '2024-07-01', '2024-12-31', NULL, 'medium', 1),
  (41, 'Georgia', 'National cyber exercise with critical infrastructure operators',
   'We plan a national cyber exercise in 2025 involving 25 critical infrastructure operators in energy, finance, transport and health. We need exercise design expertise, a technical range environment and an after-action review methodology.',
   ARRAY['incident.critical_infrastructure', 'incident.incident_response', 'cbm.crisis_communication'], ARRAY['en'], 'in_person', '2025-03-01', '2025-10-31', 120000, 'medium', 1),
  -- North Macedonia
  (42, 'North Macedonia', 'Mentoring programme for women entering cybersecurity',
   'Women make up fewer than one in five ICT security professionals in the country. We propose a 12-month mentoring programme pairing 40 female students and junior professionals with experienced practitioners, with certification vouchers for the most committed participants.',
   ARRAY['skills.gender_inclusion', 'skills.workforce'], ARRAY['en', 'mk'], 'online', NULL, NULL, 40000, 'low', 1),
  -- Armenia
  (43, 'Armenia', 'Разработка законодательства о защите критической информационной инфраструктуры',
   'В Армении готовится законопроект о кибербезопасности. Нам необходима экспертная помощь в разработке критериев отнесения объектов к критической информационной инфраструктуре, требований к их операторам и порядка уведомления об инцидентах. Законопроект планируется внести в парламент до конца 2025 года.',
   ARRAY['strategy.policy_legislation', 'incident.critical_infrastructure'], ARRAY['ru', 'hy', 'en'], 'online', '2024-09-01', '2025-12-31', NULL, 'high', 1),
  (44, 'Armenia', 'Участие в глобальном реестре контактных пунктов и отработка связи в кризисных ситуациях',
   'Армения назначила дипломатический и технический контактные пункты для глобального реестра. Мы хотели бы принять участие в учениях по проверке связи, разработать внутренние процедуры обмена информацией в кризисных ситуациях и обучить 12 сотрудников.',
   ARRAY['cbm.poc_directory', 'cbm.crisis_communication'], ARRAY['ru', 'hy'], 'online', '2024-10-01', '2025-06-30', NULL, 'medium', 1),
  -- Ukraine
  (45, 'Ukraine', 'Rapid replacement of incident response and forensic equipment',
   'Incident response teams operate under sustained attacks on energy, telecommunications and government networks. We need forensic acquisition hardware, portable incident response kits for 15 regional teams and licences for endpoint detection tools, delivered within 2024.',
   ARRAY['incident.incident_response', 'cybercrime.digital_forensics', 'incident.critical_infrastructure'], ARRAY['en', 'uk'], 'in_person', '2024-06-01', '2024-12-31', 800000, 'high', 3),
  (46, 'Ukraine', 'Automated threat information sharing with partner CSIRTs',
   'We seek to automate the exchange of indicators of compromise with partner CSIRTs: a shared platform, common taxonomies and training for 20 analysts of the national and sector teams.',
   ARRAY['incident.threat_information_sharing'], ARRAY['en', 'uk'], 'online', NULL, NULL, NULL, 'medium', 1),
  -- Colombia
  (47, 'Colombia', 'Equipo de respuesta a incidentes para el sector eléctrico',
   'El sector eléctrico no cuenta con un equipo sectorial de respuesta a incidentes. Solicitamos asistencia técnica para diseñar su modelo de gobernanza, definir procedimientos de coordinación con el equipo nacional y formar a 20 analistas de las empresas del sector durante 2025.',
   ARRAY['incident.csirt_establishment', 'incident.critical_infrastructure'], ARRAY['es'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 'high', 1),
  (48, 'Colombia', 'Formación de fiscales y jueces en evidencia digital',
   'El país cuenta con menos de 40 fiscales especializados en delitos informáticos. Buscamos un programa de formación para 60 fiscales y 30 jueces sobre obtención, cadena de custodia y valoración de la evidencia digital, con módulos en línea y talleres presenciales en Bogotá, Medellín y Cali.',
   ARRAY['cybercrime.investigation', 'cybercrime.digital_forensics'], ARRAY['es'], 'hybrid', '2025-02-01', '2025-11-30', NULL, 'medium', 2),
  -- Dominican Republic
  (49, 'Dominican Republic', 'Campaña nacional de concienciación sobre fraudes en línea',
   'Las denuncias por fraude en línea y suplantación de identidad se han duplicado en los últimos dos años. Queremos lanzar en 2025 una campaña nacional dirigida a personas mayores y pequeñas empresas, y necesitamos apoyo para su diseño, difusión y evaluación de impacto.',
   ARRAY['skills.awareness'], ARRAY['es'], 'any', '2025-01-01', '2025-12-31', 75000, 'medium', 1),
  (50, 'Dominican Republic', 'Punto de contacto nacional y protocolos de comunicación en crisis',
   'Deseamos designar nuestros puntos de contacto para el directorio mundial y establecer protocolos de comunicación entre la Cancillería y el CSIRT nacional. Solicitamos asesoría y un ejercicio de simulación para 15 funcionarios en el segundo semestre de 2024.',
   ARRAY['cbm.poc_directory', 'cbm.crisis_communication'], ARRAY['es'], 'online', '2024-07-01', '2024-12-31', NULL, 'high', 1),
  -- Costa Rica
  (51, 'Costa Rica', 'Protección de la infraestructura crítica tras los ataques de ransomware',
   'Tras los ataques de ransomware de 2022 contra instituciones públicas, Costa Rica busca fortalecer la protección de sus infraestructuras críticas. Necesitamos asistencia técnica para evaluar los riesgos de 12 instituciones, implantar copias de seguridad aisladas y formar a 40 técnicos en respuesta a incidentes en 2025.',
   ARRAY['incident.critical_infrastructure', 'incident.incident_response'], ARRAY['es', 'en'], 'hybrid', '2024-09-01', '2025-12-31', 500000, 'high', 3),
  (52, 'Costa Rica', 'Primer informe nacional sobre la aplicación de las normas de comportamiento responsable',
   'Costa Rica desea preparar su primer informe nacional voluntario sobre la aplicación de las normas acordadas en el marco de las Naciones Unidas. Solicitamos asesoría metodológica y un taller interinstitucional para 20 funcionarios en el primer semestre de 2025.',
   ARRAY['norms.national_reporting', 'norms.implementation'], ARRAY['es'], 'online', '2025-01-01', '2025-06-30', NULL, 'low', 1),
  -- Paraguay
  (53, 'Paraguay', 'Laboratorio de informática forense para la Policía Nacional',
   'La Policía Nacional dispone de tres peritos informáticos para todo el país y los análisis tardan hasta un año. Solicitamos equipamiento y formación certificada para un laboratorio de informática forense en Asunción con ocho peritos, operativo a finales de 2025.',
   ARRAY['cybercrime.digital_forensics', 'cybercrime.investigation'], ARRAY['es'], 'in_person', '2025-01-01', '2025-12-31', 300000, 'high', 1),
  (54, 'Paraguay', 'Armonización de la legislación sobre delitos informáticos',
   'Paraguay está revisando su legislación penal sobre delitos informáticos para armonizarla con los instrumentos internacionales. Necesitamos asesoría jurídica para redactar las disposiciones procesales sobre conservación de datos y cooperación internacional, y talleres para legisladores en 2025.',
   ARRAY['cybercrime.legislation', 'cybercrime.international_cooperation'], ARRAY['es', 'gn'], 'online', '2025-01-01', '2025-10-31', NULL, 'medium', 1),
  -- Peru
  (55, 'Peru', 'Estrategia nacional de ciberseguridad y gobernanza de la seguridad digital',
   'Necesitamos actualizar el marco de gobernanza de la seguridad digital y elaborar una estrategia nacional de ciberseguridad con metas medibles. Solicitamos asesoría en políticas públicas y tres talleres regionales con gobiernos subnacionales entre 2025 y 2026.',
   ARRAY['strategy.national_strategy', 'strategy.governance'], ARRAY['es'], 'hybrid', '2025-03-01', '2026-06-30', NULL, 'medium', 1),
  (56, 'Peru', 'Mujeres en ciberseguridad: becas y mentoría',
   'Solo una de cada diez personas que trabajan en ciberseguridad en el país es mujer. Buscamos financiamiento para 80 becas de certificación y un programa de mentoría de un año para mujeres de regiones fuera de Lima, incluidas hablantes de quechua.',
   ARRAY['skills.gender_inclusion', 'skills.workforce'], ARRAY['es', 'qu'], 'online', '2025-01-01', '2026-06-30', 120000, 'medium', 2),
  -- Jamaica
  (57, 'Jamaica', 'Investigating lottery scams and online fraud',
   'The police cybercrime unit handles a growing caseload of lottery scams and online fraud targeting victims abroad. We seek investigation training for 20 officers and working arrangements with foreign law enforcement for requests about accounts and payment records during 2025.',
   ARRAY['cybercrime.investigation', 'cybercrime.international_cooperation'], ARRAY['en'], 'in_person', '2025-01-01', '2025-12-31', NULL, 'high', 1),
  (58, 'Jamaica', 'Cybersecurity curriculum for secondary schools and community colleges',
   'We plan to introduce cybersecurity modules in 50 secondary schools and two community colleges from September 2025. We need curriculum design, training for 100 teachers and lab equipment for the colleges.',
   ARRAY['skills.education', 'skills.awareness'], ARRAY['en'], 'hybrid', NULL, NULL, 150000, 'low', 1),
  -- San Marino
  (59, 'San Marino', 'Peer review of a draft national position on international law in cyberspace',
   'San Marino is preparing its first national position on how international law applies to the use of ICTs by States. With two legal officers working on the file, we seek a peer review of the draft and a short training on State responsibility and due diligence in early 2025.',
   ARRAY['law.national_positions', 'law.application_training'], ARRAY['en', 'it'], 'online', '2025-01-01', '2025-04-30', NULL, 'low', 1),
  -- Monaco
  (60, 'Monaco', 'Exercice de gestion de crise cyber pour les opérateurs d''importance vitale',
   'La Principauté souhaite organiser en 2025 un exercice de crise cyber réunissant une dizaine d''opérateurs d''importance vitale et les services de l''État. Nous recherchons un appui pour la conception du scénario, l''animation de l''exercice et le retour d''expérience.',
   ARRAY['incident.critical_infrastructure', 'cbm.crisis_communication'], ARRAY['fr'], 'in_person', '2025-03-01', '2025-11-30', NULL, 'low', 1)
) AS v(ord, participant, title, description, themes, languages, modality, window_start, window_end,
       budget_usd, priority, max_partners)
LEFT JOIN LATERAL (
  SELECT id FROM roundtables
   WHERE title = 'First Global Roundtable on ICT Security Capacity-Building' ORDER BY id DESC LIMIT 1
) AS rt ON true
LEFT JOIN LATERAL (
  SELECT id FROM participants WHERE name = v.participant AND kind = 'state' ORDER BY id DESC LIMIT 1
) AS p ON true
ORDER BY v.ord;

-- ---------------------------------------------------------------------------------------------
-- Offers: 40, posted by the donors and implementers. Empty regions and countries: global.
-- ---------------------------------------------------------------------------------------------
INSERT INTO offers (roundtable_id, participant_id, title, description, kind, themes, languages, modality,
                    window_start, window_end, funding_usd, capacity, regions, countries, status)
SELECT rt.id, p.id, v.title, v.description, v.kind, v.themes, v.languages, v.modality,
       v.window_start::date, v.window_end::date, v.funding_usd::numeric, v.capacity,
       v.regions::text[], v.countries::text[], 'open'
FROM (VALUES
  -- Global Cyber Capacity Fund
  (1, 'Global Cyber Capacity Fund', 'Seed grants for establishing national and sector CSIRTs',
   'Grants of up to USD 400,000 per country covering the first two years of a national or sector CSIRT in a developing country: staff, premises and tooling. The team must have a government mandate. Proposals and reports may be written in English, French or Spanish.',
   'funding', ARRAY['incident.csirt_establishment'], ARRAY['en', 'fr', 'es'], 'hybrid', '2024-07-01', '2026-12-31', 1500000, 4, '{africa,asia_pacific,eastern_europe,latin_america_caribbean}', '{}'),
  (2, 'Global Cyber Capacity Fund', 'Cybercrime capacity grants for least developed countries',
   'Multi-year grants for least developed countries to draft cybercrime legislation, equip forensic units and train investigators. Eligible countries are listed on the offer. Reporting in English or French.',
   'funding', ARRAY['cybercrime.legislation', 'cybercrime.digital_forensics', 'cybercrime.investigation'], ARRAY['en', 'fr'], 'hybrid', '2025-01-01', '2026-12-31', 1200000, 3, '{}', '{SEN,LAO,KHM,BGD,NPL,HTI,RWA,MOZ,SLB,TLS}'),
  (3, 'Global Cyber Capacity Fund', 'Critical infrastructure resilience fund',
   'Co-funding for risk assessments, security operations capabilities and recovery planning at operators of essential services in developing countries, up to USD 500,000 per project, with a matching contribution from the beneficiary government.',
   'funding', ARRAY['incident.critical_infrastructure', 'incident.incident_response'], ARRAY['en', 'fr', 'es'], 'hybrid', '2024-09-01', '2026-06-30', 2000000, 5, '{africa,asia_pacific,eastern_europe,latin_america_caribbean}', '{}'),
  (4, 'Global Cyber Capacity Fund', 'Small grants for national cybersecurity strategy processes',
   'Grants of up to USD 100,000 for inclusive strategy processes: stocktaking, multi-stakeholder consultations, drafting and costing of an action plan. Applications open from January 2025.',
   'funding', ARRAY['strategy.national_strategy', 'strategy.governance'], ARRAY['en', 'fr', 'es', 'ar'], 'hybrid', '2025-01-01', '2026-12-31', 300000, 3, '{}', '{}'),
  -- Nordic CERT Partnership
  (5, 'Nordic CERT Partnership', 'CSIRT establishment programme: from mandate to first year of operations',
   'Experienced CSIRT managers help a government define the mandate, constituency and services of a new team, recruit and train its first analysts, and run it through its first year of operations, with quarterly on-site visits.',
   'technical_assistance', ARRAY['incident.csirt_establishment', 'incident.incident_response'], ARRAY['en'], 'hybrid', '2024-09-01', '2026-12-31', NULL, 3, '{}', '{}'),
  (6, 'Nordic CERT Partnership', 'Incident handling and malware analysis bootcamp',
   'A two-week hands-on course for up to 16 analysts per cohort: triage, log analysis, memory forensics, malware analysis and coordinated vulnerability disclosure. Held in Oslo, travel costs covered for participants from developing countries.',
   'training', ARRAY['incident.incident_response'], ARRAY['en'], 'in_person', '2025-01-01', '2025-12-31', NULL, 4, '{}', '{}'),
  (7, 'Nordic CERT Partnership', 'Twinning with a Nordic national CSIRT',
   'A 12-month twinning: staff exchanges, joint exercises and shared tooling between a Nordic national CSIRT and a partner team, including an introduction to information sharing communities.',
   'mentoring', ARRAY['incident.csirt_establishment', 'incident.threat_information_sharing'], ARRAY['en'], 'hybrid', '2024-07-01', '2026-06-30', NULL, 2, '{}', '{}'),
  (8, 'Nordic CERT Partnership', 'Setting up a MISP-based threat information sharing platform',
   'Remote technical assistance to deploy and operate a threat information sharing platform: taxonomies, Traffic Light Protocol rules, automation with sector teams and training for analysts.',
   'technical_assistance', ARRAY['incident.threat_information_sharing'], ARRAY['en'], 'online', '2024-09-01', '2025-12-31', NULL, 3, '{}', '{}'),
  -- Pacific Digital Resilience Initiative
  (9, 'Pacific Digital Resilience Initiative', 'Pacific CSIRT start-up support',
   'On-site advisers embedded for up to 18 months with Pacific island governments establishing a national CSIRT, with peer support from the regional CSIRT network.',
   'technical_assistance', ARRAY['incident.csirt_establishment'], ARRAY['en'], 'in_person', '2024-07-01', '2026-06-30', NULL, 2, '{asia_pacific}', '{FJI,PNG,SLB,VUT,WSM,TON,KIR,TUV,NRU,PLW,FSM,MHL}'),
  (10, 'Pacific Digital Resilience Initiative', 'Critical infrastructure and submarine cable resilience workshops',
   'Workshops with regulators and operators of telecommunications, energy and ports on risk assessment, continuity planning and crisis communication between neighbouring States, ending with a regional tabletop exercise.',
   'training', ARRAY['incident.critical_infrastructure', 'cbm.crisis_communication'], ARRAY['en'], 'in_person', '2025-01-01', '2025-12-31', NULL, 3, '{asia_pacific}', '{}'),
  (11, 'Pacific Digital Resilience Initiative', 'Cyber awareness toolkit for Pacific communities',
   'A ready-to-adapt awareness toolkit (radio spots, school modules, social media content) and training for local facilitators, designed with Pacific communities.',
   'training', ARRAY['skills.awareness', 'skills.education'], ARRAY['en'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 3, '{asia_pacific}', '{FJI,PNG,SLB,VUT,WSM,TON,KIR,TUV,NRU,PLW,FSM,MHL}'),
  -- Francophone Cyber Academy
  (12, 'Francophone Cyber Academy', 'Formation certifiante des analystes CSIRT en français',
   'Un cursus de six mois destiné aux équipes d''Afrique francophone, alternant modules en ligne et sessions pratiques, pour former des analystes à la gestion des incidents, à l''analyse de journaux et à la coordination avec les autres équipes. Jusqu''à 15 stagiaires par pays partenaire.',
   'training', ARRAY['incident.incident_response', 'incident.csirt_establishment'], ARRAY['fr'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 3, '{africa}', '{}'),
  (13, 'Francophone Cyber Academy', 'Appui à l''élaboration des stratégies nationales de cybersécurité',
   'Des experts accompagnent les administrations africaines francophones dans l''évaluation de leur stratégie en vigueur, la consultation des parties prenantes et la rédaction d''une nouvelle stratégie assortie d''un plan d''action chiffré.',
   'technical_assistance', ARRAY['strategy.national_strategy', 'strategy.governance'], ARRAY['fr'], 'hybrid', '2024-09-01', '2025-12-31', NULL, 2, '{africa}', '{}'),
  (14, 'Francophone Cyber Academy', 'Formation des enquêteurs et magistrats à la preuve numérique',
   'Sessions de deux semaines pour enquêteurs, procureurs et juges : saisie et analyse des preuves numériques, conservation rapide des données et demandes d''entraide judiciaire internationale. Jusqu''à 30 participants par session.',
   'training', ARRAY['cybercrime.investigation', 'cybercrime.digital_forensics', 'cybercrime.international_cooperation'], ARRAY['fr'], 'in_person', '2025-01-01', '2025-12-31', NULL, 3, '{africa}', '{}'),
  (15, 'Francophone Cyber Academy', 'Accompagnement des points de contact nationaux',
   'Appui à la désignation des points de contact diplomatique et technique pour le répertoire mondial, rédaction des procédures internes et exercices de vérification de la joignabilité.',
   'policy_advice', ARRAY['cbm.poc_directory'], ARRAY['fr'], 'online', NULL, NULL, NULL, 3, '{}', '{}'),
  -- Andean Cybercrime Training Institute
  (16, 'Andean Cybercrime Training Institute', 'Curso de investigación de ciberdelitos y evidencia digital',
   'Programa de cuatro semanas para policías y fiscales de América Latina y el Caribe: investigación en fuentes abiertas, rastreo de criptoactivos, obtención y cadena de custodia de la evidencia digital. Hasta 25 participantes por edición.',
   'training', ARRAY['cybercrime.investigation', 'cybercrime.digital_forensics'], ARRAY['es'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 4, '{latin_america_caribbean}', '{}'),
  (17, 'Andean Cybercrime Training Institute', 'Asesoría legislativa en materia de ciberdelincuencia',
   'Revisión de proyectos de ley sobre delitos informáticos y de normas procesales (conservación de datos, cooperación internacional) a la luz de los instrumentos internacionales vigentes y de las garantías de derechos humanos. Incluye talleres con legisladores.',
   'policy_advice', ARRAY['cybercrime.legislation', 'cybercrime.international_cooperation'], ARRAY['es', 'en'], 'online', '2024-09-01', '2025-12-31', NULL, 3, '{latin_america_caribbean}', '{}'),
  (18, 'Andean Cybercrime Training Institute', 'Campañas de concienciación sobre fraude en línea: diseño y evaluación',
   'Acompañamiento para diseñar campañas nacionales de concienciación, con mensajes adaptados a personas mayores y pequeñas empresas, y una metodología de medición de impacto basada en encuestas antes y después de la campaña.',
   'training', ARRAY['skills.awareness'], ARRAY['es'], 'online', '2025-01-01', '2025-12-31', NULL, 2, '{latin_america_caribbean}', '{}'),
  -- Centre for Cyber Diplomacy
  (19, 'Centre for Cyber Diplomacy', 'Diplomatic training on international law and cyberspace',
   'A six-week online course for diplomats and legal advisers on sovereignty, due diligence, State responsibility and international humanitarian law as they apply to ICTs, with case studies and a simulation. Available in English, French and Spanish.',
   'training', ARRAY['law.application_training', 'law.national_positions'], ARRAY['en', 'fr', 'es'], 'online', '2024-09-01', '2025-12-31', NULL, 5, '{}', '{}'),
  (20, 'Centre for Cyber Diplomacy', 'Peer review of national positions on international law',
   'Confidential review of a draft national position by a panel of international lawyers, with written comments and a half-day discussion with the drafting team.',
   'policy_advice', ARRAY['law.national_positions'], ARRAY['en', 'fr', 'es', 'ar'], 'online', '2025-01-01', '2026-06-30', NULL, 3, '{}', '{}'),
  (21, 'Centre for Cyber Diplomacy', 'Implementing the norms and reporting on them',
   'Advice and inter-agency workshops to map the norms of responsible State behaviour to national institutions, set indicators and prepare a voluntary national report.',
   'policy_advice', ARRAY['norms.implementation', 'norms.national_reporting'], ARRAY['en', 'es', 'ar'], 'hybrid', NULL, NULL, NULL, 4, '{}', '{}'),
  (22, 'Centre for Cyber Diplomacy', 'Points of contact and crisis communication tabletop exercises',
   'Online tabletop exercises that test how diplomatic and technical points of contact reach their counterparts during an incident, followed by recommendations on internal procedures.',
   'training', ARRAY['cbm.poc_directory', 'cbm.crisis_communication'], ARRAY['en', 'fr', 'es'], 'online', '2024-07-01', '2025-06-30', NULL, 4, '{}', '{}'),
  (23, 'Centre for Cyber Diplomacy', 'Cybersecurity strategy and governance advisory',
   'Senior advisers support the review or drafting of a national cybersecurity strategy and its governance arrangements: lead agency, coordination bodies and the legal basis for them.',
   'policy_advice', ARRAY['strategy.national_strategy', 'strategy.governance', 'strategy.policy_legislation'], ARRAY['en', 'es'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 3, '{}', '{}'),
  -- Mekong Digital Security Cooperation Centre
  (24, 'Mekong Digital Security Cooperation Centre', '网络安全事件应急处置培训班',
   '面向亚太地区国家计算机应急响应团队的为期两周的实操培训，内容包括事件分级、日志分析、恶意代码分析和应急演练。每期最多20名学员，以中文和英文授课。',
   'training', ARRAY['incident.incident_response', 'incident.csirt_establishment'], ARRAY['zh', 'en'], 'in_person', '2025-01-01', '2025-12-31', NULL, 3, '{asia_pacific}', '{}'),
  (25, 'Mekong Digital Security Cooperation Centre', '跨境网络犯罪执法合作研修班',
   '为执法人员和检察官举办的研修班，重点介绍电子证据的调取与保全、跨境司法协助程序以及联合调查的经验。研修地点为昆明，每期两周。',
   'training', ARRAY['cybercrime.international_cooperation', 'cybercrime.investigation'], ARRAY['zh', 'en'], 'in_person', '2024-10-01', '2025-12-31', NULL, 2, '{asia_pacific}', '{}'),
  (26, 'Mekong Digital Security Cooperation Centre', '网络安全战略与立法咨询',
   '由资深专家为亚太地区发展中国家提供国家网络安全战略、网络安全法律法规及网络犯罪立法方面的远程咨询，包括草案审阅和政策研讨。',
   'policy_advice', ARRAY['strategy.national_strategy', 'strategy.policy_legislation', 'cybercrime.legislation'], ARRAY['zh'], 'online', '2025-01-01', '2026-06-30', NULL, 2, '{asia_pacific}', '{}'),
  (27, 'Mekong Digital Security Cooperation Centre', '公务员网络安全意识在线课程',
   '提供可本地化的在线课程平台和课程包，涵盖钓鱼邮件识别、密码安全和数据保护等内容，可协助翻译为本国语言，并培训内部培训师。',
   'training', ARRAY['skills.awareness'], ARRAY['zh', 'en'], 'online', NULL, NULL, NULL, 3, '{asia_pacific}', '{}'),
  -- Eurasian Cyber Skills Network
  (28, 'Eurasian Cyber Skills Network', 'Russian-language incident response training for CSIRT staff',
   'Modular training in Russian for new and existing response teams: incident handling, digital forensics basics, vulnerability management and cooperation with sector teams. Cohorts of up to 20, online with a one-week practical session.',
   'training', ARRAY['incident.incident_response', 'incident.csirt_establishment'], ARRAY['ru', 'en'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 3, '{asia_pacific,eastern_europe}', '{}'),
  (29, 'Eurasian Cyber Skills Network', 'University cybersecurity curriculum development',
   'Support for universities designing bachelor and master programmes in cybersecurity: curriculum templates, lecturer training and advice on teaching laboratories.',
   'technical_assistance', ARRAY['skills.education', 'skills.workforce'], ARRAY['ru', 'en'], 'hybrid', '2025-01-01', '2026-12-31', NULL, 2, '{asia_pacific,eastern_europe}', '{}'),
  (30, 'Eurasian Cyber Skills Network', 'Critical information infrastructure legislation advisory',
   'Comparative advice on laws protecting critical information infrastructure: designation criteria, operator obligations, incident notification and supervision, with review of draft texts.',
   'policy_advice', ARRAY['strategy.policy_legislation', 'incident.critical_infrastructure'], ARRAY['ru', 'en'], 'online', '2025-01-01', '2026-06-30', NULL, 2, '{asia_pacific,eastern_europe}', '{}'),
  -- Maghreb-Mashreq Cyber Capacity Programme
  (31, 'Maghreb-Mashreq Cyber Capacity Programme', 'Critical infrastructure SOC training and national exercises',
   'Training for engineers of critical infrastructure operators on security monitoring and incident response, delivered in Arabic and French, and support in designing a national simulation exercise.',
   'training', ARRAY['incident.critical_infrastructure', 'incident.incident_response'], ARRAY['ar', 'fr', 'en'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 3, '{}', '{MAR,TUN,DZA,EGY,LBY,MRT,JOR,LBN,IRQ,PSE}'),
  (32, 'Maghreb-Mashreq Cyber Capacity Programme', 'Cybercrime legislation review against international instruments',
   'Gap analysis of national cybercrime legislation against international instruments, drafting support and workshops with parliamentary and justice staff, including human rights and data protection safeguards.',
   'technical_assistance', ARRAY['cybercrime.legislation', 'strategy.policy_legislation'], ARRAY['ar', 'fr', 'en'], 'online', '2024-09-01', '2025-12-31', NULL, 2, '{}', '{MAR,TUN,DZA,EGY,LBY,MRT,JOR,LBN,IRQ,PSE}'),
  (33, 'Maghreb-Mashreq Cyber Capacity Programme', 'Women in cybersecurity mentoring programme (Arabic and French)',
   'A one-year mentoring and training programme pairing women students and graduates with practitioners from the region, with study visits to national CSIRTs.',
   'mentoring', ARRAY['skills.gender_inclusion', 'skills.workforce'], ARRAY['ar', 'fr'], 'online', '2025-01-01', '2026-12-31', NULL, 2, '{}', '{MAR,TUN,DZA,EGY,LBY,MRT,JOR,LBN,IRQ,PSE}'),
  -- Women in Cyber Leadership Fund
  (34, 'Women in Cyber Leadership Fund', 'Certification scholarships for women in cybersecurity',
   'Funding for professional certification scholarships and exam vouchers for women, channelled through national programmes that commit to report on completion and employment rates.',
   'funding', ARRAY['skills.gender_inclusion', 'skills.workforce'], ARRAY['en', 'fr', 'es'], 'online', '2025-01-01', '2026-12-31', 400000, 4, '{}', '{}'),
  (35, 'Women in Cyber Leadership Fund', 'Global mentoring circles for women cyber professionals',
   'Twelve-month mentoring circles of six mentees and two senior mentors, meeting online every month, in English or Spanish.',
   'mentoring', ARRAY['skills.gender_inclusion'], ARRAY['en', 'es'], 'online', '2025-01-01', '2025-12-31', NULL, 3, '{}', '{}'),
  -- Transatlantic Cyber Resilience Foundation
  (36, 'Transatlantic Cyber Resilience Foundation', 'Public awareness campaign grants',
   'Grants of up to USD 80,000 for national cyber hygiene campaigns aimed at citizens and small businesses, with a required impact evaluation.',
   'funding', ARRAY['skills.awareness'], ARRAY['en', 'es'], 'hybrid', '2025-01-01', '2025-12-31', 250000, 3, '{}', '{}'),
  (37, 'Transatlantic Cyber Resilience Foundation', 'Emergency incident response support for governments under attack',
   'Rapid funding for incident response retainers, equipment and licences for governments facing major cyberattacks on public services or critical infrastructure.',
   'funding', ARRAY['incident.incident_response', 'incident.critical_infrastructure'], ARRAY['en'], 'hybrid', '2024-06-01', '2025-12-31', 1000000, 2, '{}', '{}'),
  (38, 'Transatlantic Cyber Resilience Foundation', 'Secure-by-design training for government developers',
   'A blended course for government developers and procurement officers on secure development lifecycles, software bills of materials and supply chain risk, with follow-up code-review coaching.',
   'training', ARRAY['standards.secure_development', 'standards.supply_chain'], ARRAY['en'], 'hybrid', '2025-01-01', '2026-06-30', NULL, 2, '{}', '{}'),
  -- Forensic Laboratories Without Borders
  (39, 'Forensic Laboratories Without Borders', 'Digital forensics laboratory starter kits',
   'Donation and installation of forensic workstations, write blockers, mobile extraction tools and licensed analysis software for a laboratory of up to eight examiners, with two weeks of on-site training.',
   'equipment', ARRAY['cybercrime.digital_forensics'], ARRAY['en', 'fr', 'es'], 'in_person', '2025-01-01', '2026-06-30', NULL, 3, '{}', '{}'),
  (40, 'Forensic Laboratories Without Borders', 'Cybercrime investigation and electronic evidence course',
   'A three-week blended course for investigators and prosecutors: seizing and examining digital evidence, chain of custody, preservation requests and mutual legal assistance. Taught in English, French or Spanish, with up to 24 participants per cohort.',
   'training', ARRAY['cybercrime.investigation', 'cybercrime.digital_forensics', 'cybercrime.international_cooperation'], ARRAY['en', 'fr', 'es'], 'hybrid', '2025-01-01', '2025-12-31', NULL, 4, '{}', '{}')
) AS v(ord, participant, title, description, kind, themes, languages, modality, window_start, window_end,
       funding_usd, capacity, regions, countries)
LEFT JOIN LATERAL (
  SELECT id FROM roundtables
   WHERE title = 'First Global Roundtable on ICT Security Capacity-Building' ORDER BY id DESC LIMIT 1
) AS rt ON true
LEFT JOIN LATERAL (
  SELECT id FROM participants
   WHERE name = v.participant AND kind IN ('donor', 'implementer') ORDER BY id DESC LIMIT 1
) AS p ON true
ORDER BY v.ord;

-- ---------------------------------------------------------------------------------------------
-- Demo accounts, so that `scripts/run` users can sign in to the web UI with email and password.
-- All four share the documented demo password "roundtable-demo-2024" (README.md); the hash is
-- argon2id as `roundtable account create` makes it. For a demo only: never load this file into a
-- database that real people use.
-- ---------------------------------------------------------------------------------------------
INSERT INTO accounts (email, role, participant_id, password_hash)
SELECT v.email, v.role, p.id,
       '$argon2id$v=19$m=65536,t=2,p=1$SHbopM9LSQtpiNjy+9SY6A$u3z6fv96NnGVSJPt4dkko88rKE6JuSQU3CRRb+y6hW4'
  FROM (VALUES
    ('admin@demo.roundtable.example', 'admin', NULL),
    ('secretariat@demo.roundtable.example', 'organizer', NULL),
    ('kenya@demo.roundtable.example', 'state', 'Kenya'),
    ('fund@demo.roundtable.example', 'provider', 'Global Cyber Capacity Fund')
  ) AS v(email, role, participant)
  LEFT JOIN LATERAL (
    SELECT id FROM participants WHERE name = v.participant ORDER BY id DESC LIMIT 1
  ) AS p ON v.participant IS NOT NULL
ON CONFLICT ((lower(email))) DO NOTHING;
