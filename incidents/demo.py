"""Lisbon demo data: parishes, police points, patrols, four weeks of incidents and concerns.

Idempotent: reference data is upserted; generated operational data is made once (a marker
row of source 'demo' says it exists), so a second run changes no row counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from . import roles, services
from .demo_repeat_places import REPEAT_PLACE_DEMO, near_a_planted_place, plant_repeat_places
from .models import Area, Incident, OfficerProfile, Patrol, PoliceStation
from .models.choices import (
    IncidentStatus,
    PatrolKind,
    PatrolStatus,
    Priority,
    incident_status_path,
)
from .setup import ensure_groups, ensure_repeat_place_rules

DATA = Path(settings.BASE_DIR) / "data" / "lisbon"
MUNICIPALITY_CODE = "1106"

# Twelve characters or more, and unlike the usernames: they pass the password validators
# (tests/security/test_login.py checks). Every other demo officer has DEMO_DEFAULT_PASSWORD.
DEMO_DEFAULT_PASSWORD = "koban-agente-demo"  # noqa: S105  (published demo logins)
DEMO_PASSWORDS = {
    "admin": "koban-admin-demo",
    "chefe.costa": "koban-chefe-demo",
    "agente.silva": DEMO_DEFAULT_PASSWORD,
    "tecnico.sousa": "koban-tecnico-demo",
}

# username, first, last, role, parish codes (DICOFRE)
PEOPLE = [
    ("admin", "Ana", "Administradora", roles.ADMINISTRATOR, []),
    ("chefe.costa", "Rui", "Costa", roles.SUPERVISOR, []),
    ("tecnico.sousa", "Inês", "Sousa", roles.INTEGRATOR, []),
    (
        "agente.silva",
        "Marta",
        "Silva",
        roles.OFFICER,
        ["110656", "110663"],
    ),  # Arroios, Penha de França
    (
        "agente.santos",
        "João",
        "Santos",
        roles.OFFICER,
        ["110661", "110665"],
    ),  # Misericórdia, S. M. Maior
    (
        "agente.ferreira",
        "Carla",
        "Ferreira",
        roles.OFFICER,
        ["110602", "110601", "110658"],
    ),  # + Belém
    (
        "agente.pereira",
        "Nuno",
        "Pereira",
        roles.OFFICER,
        ["110655", "110657"],
    ),  # Areeiro, Avenidas Novas
    (
        "agente.oliveira",
        "Sofia",
        "Oliveira",
        roles.OFFICER,
        ["110660", "110659"],
    ),  # Estrela, Campo de Ourique
    (
        "agente.rodrigues",
        "Tiago",
        "Rodrigues",
        roles.OFFICER,
        ["110666", "110667"],
    ),  # Santo António, São Vicente
]

CATEGORY_WEIGHTS = {
    "noise": 24,
    "neighbour_dispute": 12,
    "public_space": 16,
    "traffic_parking": 18,
    "vandalism": 8,
    "theft": 9,
    "public_order": 6,
    "welfare_check": 4,
    "other": 3,
}
TITLES = {
    "noise": [
        "Música alta num apartamento",
        "Ruído à porta de bar",
        "Obras fora de horas",
        "Festa em terraço",
        "Alarme de viatura a tocar",
    ],
    "neighbour_dispute": [
        "Discussão entre vizinhos",
        "Conflito por estacionamento",
        "Queixa de infiltrações e ameaças",
    ],
    "public_space": [
        "Contentor a transbordar",
        "Iluminação pública avariada",
        "Passeio danificado",
        "Monos abandonados na via",
    ],
    "traffic_parking": [
        "Viatura em cima do passeio",
        "Estacionamento em segunda fila",
        "Viatura a bloquear garagem",
        "Cargas e descargas fora de horas",
    ],
    "vandalism": ["Grafitos em fachada", "Vidro de paragem partido", "Banco de jardim destruído"],
    "theft": ["Furto de telemóvel", "Furto em viatura", "Furto de bicicleta"],
    "public_order": ["Desacatos à saída de bar", "Grupo a consumir na via pública"],
    "welfare_check": ["Idoso sem resposta há dias", "Pessoa desorientada na rua"],
    "other": ["Animal perdido", "Objeto suspeito"],
}
# Streets of each parish (by DICOFRE code): a demo incident's address is a street of the parish
# its point falls in.
STREETS = {
    "110601": ["Rua da Aliança Operária", "Largo da Paz", "Rua Eduardo Bairrada"],  # Ajuda
    "110602": ["Rua de Alcântara", "Rua Fradesso da Silveira", "Calçada da Tapada"],
    "110654": ["Avenida da Igreja", "Rua Acácio de Paiva", "Rua Conde de Arnoso"],  # Alvalade
    "110655": [
        "Avenida de Paris",
        "Avenida Guerra Junqueiro",
        "Praça de Londres",
        "Jardim do Arco do Cego",
    ],  # Areeiro
    "110656": ["Rua dos Anjos", "Rua Passos Manuel", "Largo do Intendente Pina Manique"],
    "110657": ["Avenida da República", "Avenida de Berna", "Rua Filipe Folque"],
    "110607": ["Rua do Beato", "Largo do Beato", "Rua de Xabregas"],  # Beato
    "110658": ["Rua de Belém", "Rua Bartolomeu Dias", "Avenida da Torre de Belém"],
    "110608": ["Estrada de Benfica", "Avenida do Uruguai", "Rua Cláudio Nunes"],  # Benfica
    "110659": ["Rua Ferreira Borges", "Rua Saraiva de Carvalho", "Rua Coelho da Rocha"],
    "110610": ["Rua de Campolide", "Rua General Taborda"],  # Campolide
    "110611": ["Largo da Luz", "Rua Neves Costa", "Estrada de Carnide"],  # Carnide
    "110660": ["Rua da Lapa", "Rua do Patrocínio", "Rua de Buenos Aires"],  # Estrela
    "110618": ["Alameda das Linhas de Torres", "Largo do Paço do Lumiar"],  # Lumiar
    "110621": ["Rua Direita de Marvila", "Avenida Marechal António de Spínola"],  # Marvila
    "110661": ["Rua da Rosa", "Rua da Misericórdia", "Travessa da Queimada"],
    "110633": ["Avenida de Berlim", "Avenida Cidade de Lourenço Marques"],  # Olivais
    "110662": ["Alameda dos Oceanos", "Rua do Bojador", "Avenida Dom João II"],
    "110663": ["Rua da Penha de França", "Rua Francisco Pedro Curado", "Rua Sousa Viterbo"],
    "110664": ["Largo da Charneca", "Rua Direita da Ameixoeira"],  # Santa Clara
    "110665": ["Rua dos Fanqueiros", "Rua da Madalena", "Rua Augusta"],  # Santa Maria Maior
    "110666": ["Rua Rodrigues Sampaio", "Rua do Salitre", "Rua da Alegria"],  # Santo António
    "110639": ["Rua de São Domingos de Benfica", "Estrada das Laranjeiras"],
    "110667": ["Rua da Graça", "Largo da Graça", "Calçada de São Vicente"],  # São Vicente
}
# category, title, place, the place's parish (DICOFRE)
CONCERNS = [
    ("noise", "Ruído de bar todos os fins de semana", "Largo do Intendente Pina Manique", "110656"),
    ("noise", "Esplanada com música até às 3h", "Rua da Rosa", "110661"),
    ("public_space", "Passagem inferior sem iluminação", "Avenida de Ceuta", "110602"),
    (
        "traffic_parking",
        "Estacionamento abusivo junto à escola",
        "Rua Francisco Pedro Curado",
        "110663",
    ),
    ("vandalism", "Grafitos recorrentes no jardim", "Jardim do Arco do Cego", "110655"),
    ("public_order", "Concentração noturna no miradouro", "Miradouro de Santa Catarina", "110661"),
    ("neighbour_dispute", "Conflitos recorrentes num prédio", "Rua dos Anjos", "110656"),
    ("public_space", "Lixo acumulado em logradouro", "Rua da Graça", "110667"),
    ("theft", "Furtos em viaturas no parque", "Avenida de Berlim", "110633"),
    ("welfare_check", "Idosos isolados no bairro", "Bairro da Boavista", "110608"),
]
FIRST = ["Maria", "José", "Ana", "Manuel", "Rita", "Paulo", "Helena", "Luís", "Teresa", "Pedro"]
LAST = ["Almeida", "Gomes", "Martins", "Lopes", "Marques", "Carvalho", "Ribeiro", "Pinto"]


@dataclass
class DemoSummary:
    areas: str
    stations: str
    created: bool


def _random_point_in(area: Area, rng: random.Random) -> Point:
    xmin, ymin, xmax, ymax = area.geom.extent
    for _ in range(200):
        p = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if area.geom.contains(p) and not near_a_planted_place(p):
            return p
    return area.geom.point_on_surface


def _ensure_people() -> dict[str, object]:
    ensure_groups()
    User = get_user_model()
    users = {}
    for username, first, last, role, parish_codes in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@koban.test"},
        )
        if created:
            user.set_password(DEMO_PASSWORDS.get(username, DEMO_DEFAULT_PASSWORD))
            user.is_staff = role in (roles.ADMINISTRATOR, roles.INTEGRATOR, roles.SUPERVISOR)
            user.is_superuser = role == roles.ADMINISTRATOR
            user.save()
        user.groups.add(Group.objects.get(name=role))
        profile, _ = OfficerProfile.objects.get_or_create(user=user)
        if parish_codes:
            profile.areas.add(*Area.objects.filter(code__in=parish_codes))
        users[username] = user
    return users


def load_demo(
    *, seed: int = 2026, incidents: int = 360, now: datetime | None = None
) -> DemoSummary:
    """Load the Lisbon demo; safe to run again."""
    areas = services.area_import_geojson(
        path=DATA / "lisbon_freguesias.geojson",
        name_property="Freguesia",
        code_property="Dicofre",
        kind=Area.Kind.PARISH,
        parent_code=MUNICIPALITY_CODE,
        parent_name="Lisboa",
    )
    stations = services.stations_import_geojson(
        path=DATA / "lisbon_police_security_pois.geojson",
        source="cml-poi-seguranca",
    )
    users = _ensure_people()
    summary = DemoSummary(
        areas=f"{areas.created} created, {areas.updated} updated, {areas.unchanged} unchanged",
        stations=f"{stations.created} created, {stations.unchanged} unchanged",
        created=False,
    )
    if Incident.objects.filter(source="demo").exists():
        return summary
    now = now or timezone.now()
    ensure_repeat_place_rules()
    planted = len(REPEAT_PLACE_DEMO) if incidents >= len(REPEAT_PLACE_DEMO) else 0
    with transaction.atomic():
        _generate(users, random.Random(seed), incidents - planted, now)
        if planted:
            plant_repeat_places(users["chefe.costa"], now)
    # What the hourly job would find: the demo opens with proposals waiting for a supervisor.
    services.repeat_places_scan(now=now)
    summary.created = True
    return summary


def _send_unit(
    incident: Incident,
    target: str,
    *,
    supervisor: Any,
    local: list[Any],
    rng: random.Random,
) -> None:
    """Dispatch as the product does: the supervisor sends an available patrol or an officer of
    the parish on their own, and the unit records "on scene". Two patrols stay available, so
    whoever tries the demo has one to send."""
    free = list(Patrol.objects.filter(status=PatrolStatus.AVAILABLE).order_by("pk"))
    patrol = rng.choice(free) if len(free) > 2 and rng.random() < 0.5 else None
    officer = None if patrol else rng.choice(local)
    incident = services.incident_dispatch(
        incident=incident, actor=supervisor, patrol=patrol, officer=officer
    )
    if target == IncidentStatus.ON_SCENE:
        unit = officer or patrol.members.order_by("pk").first() or supervisor
        services.incident_transition(incident=incident, to_status=target, actor=unit)


def _generate(users: dict, rng: random.Random, count: int, now: datetime) -> None:
    parishes = list(Area.objects.filter(kind=Area.Kind.PARISH).order_by("code"))
    officers = [u for name, u in users.items() if name.startswith("agente.")]
    supervisor = users["chefe.costa"]
    stations = list(PoliceStation.objects.order_by("id"))

    patrols = []
    kinds = [PatrolKind.CAR, PatrolKind.FOOT, PatrolKind.MOTORBIKE, PatrolKind.BICYCLE]
    for i in range(10):
        area = parishes[(i * 5) % len(parishes)]
        patrol = Patrol.objects.filter(call_sign=f"LX-{i + 1:02d}").first() or (
            services.patrol_create(
                call_sign=f"LX-{i + 1:02d}",
                kind=kinds[i % 4],
                area=area,
                status=[PatrolStatus.AVAILABLE, PatrolStatus.BUSY, PatrolStatus.OFF_DUTY][i % 3],
                members=[officers[i % len(officers)]],
                vehicle_id=f"{9000 + i}",
                shift_starts_at=now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3),
                shift_ends_at=now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=5),
            )
        )
        start = stations[i % len(stations)].location if stations else area.geom.point_on_surface
        for step in range(6):
            p = Point(
                start.x + rng.uniform(-0.004, 0.004),
                start.y + rng.uniform(-0.003, 0.003),
                srid=4326,
            )
            # patrol 10 has not reported for an hour: the map shows it as stale
            minutes = 60 + (5 - step) * 10 if i == 9 else (5 - step) * 2
            services.patrol_record_position(
                patrol=patrol,
                location=p,
                source="demo",
                recorded_at=now - timedelta(minutes=minutes),
            )
        patrols.append(patrol)

    codes, weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    areas_of = {o.pk: set(o.officer.areas.values_list("id", flat=True)) for o in officers}
    created: list[Incident] = []
    for n in range(count):
        category = rng.choices(codes, weights)[0]
        area = rng.choice(parishes)
        age = timedelta(minutes=rng.randint(5, 28 * 24 * 60))
        reported = now - age
        # evenings and nights are busier for noise and public order
        if category in ("noise", "public_order") and rng.random() < 0.7:
            reported = reported.replace(hour=rng.choice([21, 22, 23, 0, 1, 2]))
            reported = min(reported, now - timedelta(minutes=3))
        if age < timedelta(hours=6):
            target = rng.choice(
                [
                    IncidentStatus.NEW,
                    IncidentStatus.ACKNOWLEDGED,
                    IncidentStatus.DISPATCHED,
                    IncidentStatus.ON_SCENE,
                ]
            )
        elif age < timedelta(days=3):
            target = rng.choice(
                [
                    IncidentStatus.ACKNOWLEDGED,
                    IncidentStatus.RESOLVED,
                    IncidentStatus.RESOLVED,
                    IncidentStatus.CLOSED,
                ]
            )
        else:
            target = rng.choice([IncidentStatus.CLOSED] * 6 + [IncidentStatus.CANCELLED])
        reporter = None
        if rng.random() < 0.6:
            reporter = {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "phone": f"9{rng.randint(10000000, 99999999)}",
            }
        incident = services.incident_create(
            actor=supervisor,
            category=category,
            priority=rng.choices([Priority.HIGH, Priority.MEDIUM, Priority.LOW], [2, 5, 3])[0],
            title=rng.choice(TITLES[category]),
            description="",
            location=_random_point_in(area, rng),
            address=f"{rng.choice(STREETS[area.code])}, {rng.randint(1, 180)}",
            reported_at=reported,
            occurred_at=reported - timedelta(minutes=rng.randint(0, 40)),
            source="demo",
            external_id=f"demo-{n + 1:04d}",
            reporter=reporter,
        )
        if target == IncidentStatus.CANCELLED:
            services.incident_transition(
                incident=incident, to_status=target, actor=supervisor, note="Sem fundamento."
            )
        elif target in (IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE):
            local = [o for o in officers if area.id in areas_of[o.pk]] or officers
            _send_unit(incident, target, supervisor=supervisor, local=local, rng=rng)
        else:
            # An officer of the parish moves it on (the domain refuses one who does not work
            # there); a parish without one is the supervisor's.
            local = [o for o in officers if area.id in areas_of[o.pk]] or [supervisor]
            for step in incident_status_path(incident.status, target) or []:
                services.incident_transition(
                    incident=incident, to_status=step, actor=rng.choice(local)
                )
        created.append(incident)

    concerns = []
    by_code = {p.code: p for p in parishes}
    for i, (category, title, place, code) in enumerate(CONCERNS * 3):
        if i >= 30:
            break
        area = by_code[code]
        if i >= len(CONCERNS):  # the same problem elsewhere, at a street of that parish
            area = parishes[(i * 7) % len(parishes)]
            place = rng.choice(STREETS[area.code])
        concern = services.concern_create(
            actor=supervisor,
            title=f"{title} ({area.name})",
            category=category,
            description=f"Problema recorrente em {place}; acordado em reunião com moradores.",
            priority=[Priority.HIGH, Priority.MEDIUM, Priority.LOW][i % 3],
            location=_random_point_in(area, rng),
            address=place,
            partners="Junta de Freguesia" if i % 2 else "Junta de Freguesia, CML Higiene Urbana",
            next_review_on=(now + timedelta(days=rng.randint(-5, 21))).date(),
            source="demo",
            external_id=f"demo-concern-{i + 1:02d}",
        )
        steps = ["analysing", "responding", "assessing"][: i % 4]
        for step in steps:
            services.concern_transition(concern=concern, to_status=step, actor=supervisor)
        same = [x for x in created if x.area_id == area.id and x.category.code == category][:4]
        for incident in same:
            services.incident_link_concern(incident=incident, concern=concern, actor=supervisor)
        concerns.append(concern)

    open_ones = [x for x in created if x.is_open or x.status == IncidentStatus.RESOLVED]
    for i, item in enumerate(open_ones[:30] + concerns[:12]):
        is_concern = not isinstance(item, Incident)
        area_officers = [o for o in officers if item.area_id in areas_of[o.pk]] or officers
        followup = services.followup_assign(
            actor=supervisor,
            incident=None if is_concern else item,
            concern=item if is_concern else None,
            title=(
                "Contactar o munícipe e informar do resultado"
                if i % 3 == 0
                else "Verificar no local e registar a situação"
            ),
            due_at=now + timedelta(hours=rng.randint(-72, 120)),
            assignee=rng.choice(area_officers),
            tell_resident=i % 3 == 0,
            allow_past_due=True,
        )
        if i % 5 == 1:
            services.followup_start(followup=followup, actor=followup.assignee)
        if i % 7 == 2:
            services.followup_complete(
                followup=followup,
                actor=followup.assignee,
                outcome="Situação verificada; munícipe informado.",
                resident_told=followup.tell_resident,
            )
