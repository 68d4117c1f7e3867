from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The phrase lists the portal starts with: offers tied to ratings ("incentive") and threats, per
# language. Staff edit them in the admin; the examples travel with each list and every save is
# checked against them (trust.forms), as the tests check these (trust/tests/test_phrase_lists.py).
# English and Polish phrases stand as words (\w* tolerates endings); the others are found anywhere.
OFFER_EN = r"(refund\w*|discount|coupon|voucher|gift|cash ?back|money back|compensat\w*|free \w+)"
CHANGE_EN = r"(change|update|edit|remove|delete|raise|improve|modify|take down)"
RATING_EN = r"(rating|review|feedback|stars?|comment)"
OFFER_PL = r"(zwrot\w*|rabat\w*|zni[zż]k\w*|kupon\w*|bon\w*|gratis|prezent\w*|rekompensat\w*|zwr[oó]c\w*)"
CHANGE_PL = r"(zmie[nń]\w*|usu[nń]\w*|popraw\w*|edytuj\w*|podnie[sś]\w*|podwy[zż]sz\w*)"
RATING_PL = r"(ocen\w*|opini\w*|komentarz\w*|recenzj\w*|gwiazd\w*)"
OFFER_ZH = "(退款|返现|优惠券|红包|补偿|赠品|折扣)"
CHANGE_ZH = "(修改|更改|改|删除|删掉|撤销|撤回)"
RATING_ZH = "(评价|差评|评论|评分|好评)"
OFFER_KO = "(환불|쿠폰|적립금|할인|사은품|보상|선물)"
CHANGE_KO = "(수정|삭제|변경|지우|지워|바꿔|올려)"
RATING_KO = "(리뷰|후기|평점|별점|평가)"
OFFER_GU = "(રિફંડ|વળતર|કૂપન|ડિસ્કાઉન્ટ|ભેટ|ઇનામ|પૈસા પાછા)"
CHANGE_GU = "(બદલો|બદલશો|બદલી|હટાવો|કાઢી|દૂર|સુધારો|ડિલીટ)"
RATING_GU = "(રિવ્યુ|રિવ્યૂ|સમીક્ષા|રેટિંગ|પ્રતિસાદ)"

LISTS = {
    "en": {
        "phrases": [
            ("incentive", OFFER_EN + r".{0,60}(if|when|once|after) you " + CHANGE_EN + r" (your|the|that) " + RATING_EN),
            ("incentive", CHANGE_EN + r" (your|the|that) " + RATING_EN + r".{0,60}" + OFFER_EN),
            ("incentive", r"(coupon|voucher|discount|gift|refund|bonus|free \w+) for (a |an )?(5|five)[- ]stars?"),
            ("incentive", r"(i|we)('ll| will) (give|leave) (you )?(5|five|good|positive) (stars?|review|rating|feedback) (if|when|once)"),
            ("incentive", r"(delete|remove|take down) (the|your|that|this) (review|rating|feedback) and (i|we)('ll| will)"),
            ("threat", r"(or|otherwise|or else) (i|we)('ll| will) (leave|give|post|write) (you )?(a |an )?(1|one|bad|negative|terrible)[- ](star|review|rating|feedback)"),
            ("threat", r"(you('ll| will)|gonna) (regret|be sorry)"),
            ("threat", r"(i|we) know where you live"),
        ],
        "must_match": [
            "We can refund you if you change your rating to 5 stars.",
            "Coupon for 5 stars!",
            "Delete the review and we will send a replacement.",
            "I'll give you five stars if you add a free case.",
            "Change your review and you get a 20% discount.",
            "Remove the rating or I will leave a 1-star review everywhere.",
            "You will regret this.",
        ],
        "must_not_match": [
            "You can get a refund if the item arrives damaged.",
            "Thanks for the five-star review!",
            "Please review your order when it arrives.",
            "Here's a coupon for your next order.",
            "I changed my rating after the refund arrived.",
            "I regret buying this.",
            "Regret-free returns within 30 days.",
        ],
    },
    "pl": {
        "phrases": [
            ("incentive", CHANGE_PL + r" (swoj\w* |t\w* )?" + RATING_PL + r".{0,60}" + OFFER_PL),
            ("incentive", OFFER_PL + r".{0,60}(je[sś]li|je[zż]eli|jak|gdy|kiedy|za) .{0,30}(zmieni\w*|usuni\w*|usunie\w*|popraw\w*|podwy[zż]sz\w*|edytuje\w*) .{0,20}" + RATING_PL),
            ("incentive", r"(kupon\w*|rabat\w*|zni[zż]k\w*|bon\w*|prezent\w*|gratis) za (5|pi[eę][cć]) gwiazd\w*"),
            ("incentive", r"(dam|wystawi[eę]|dostaniesz|dostanie pan|dostanie pani) (5|pi[eę][cć]) gwiazd\w*,? (je[sś]li|je[zż]eli|jak|za)"),
            ("incentive", r"usu[nń]\w* (t\w* |swoj\w* )?(opini\w*|ocen\w*|recenzj\w*|komentarz\w*),? (a|i) (dostaniesz|dostanie|zwr[oó]c\w*|oddam\w*|wy[sś]l\w*)"),
            ("threat", r"(bo|albo|inaczej|lub) (pan |pani )?po[zż]a[lł]\w*"),
            ("threat", r"(albo|bo|inaczej|je[sś]li nie) .{0,30}wystawi\w* .{0,20}(negatywn\w*|z[lł]\w*|jedn\w*) (ocen\w*|opini\w*|gwiazdk\w*)"),
            ("threat", r"wiem,? gdzie mieszkasz"),
        ],
        "must_match": [
            "Zmień ocenę, a dostaniesz zwrot pieniędzy.",
            "Zwrócimy pieniądze, jeśli zmieni Pan ocenę na pięć gwiazdek.",
            "Kupon za 5 gwiazdek!",
            "Usuń opinię, a wyślemy drugi egzemplarz gratis.",
            "Zwróć pieniądze albo pożałujesz.",
            "Jeśli nie oddasz pieniędzy, wystawię negatywną opinię.",
        ],
        "must_not_match": [
            "Zwrot pieniędzy nastąpi w ciągu 14 dni.",
            "Dziękujemy za ocenę pięć gwiazdek!",
            "Zmieniłem ocenę po rozmowie.",
            "Nie żałuję zakupu.",
            "Kupon rabatowy na następne zakupy.",
        ],
    },
    "zh": {
        "phrases": [
            ("incentive", CHANGE_ZH + "(一下)?(您的|你的)?" + RATING_ZH + ".{0,20}" + OFFER_ZH),
            ("incentive", OFFER_ZH + ".{0,20}(如果|只要|条件是|前提是)?.{0,10}" + CHANGE_ZH + "(一下)?(您的|你的)?" + RATING_ZH),
            ("incentive", "(五星|5星|好评)(返现|送|换|得)"),
            ("incentive", "(给|打)(个)?(五星|5星|好评).{0,10}(就|即可|可以)?(退款|返现|送|红包|优惠券)"),
            ("threat", "(否则|不然)(我|我们)?(就)?(给|打|写)(你)?(差评|一星|1星)"),
            ("threat", "(你|您)(会|将)后悔"),
        ],
        "must_match": [
            "如果您修改评价，我们给您全额退款。",
            "好评返现5元",
            "给五星就送优惠券",
            "删除差评，我们给你红包",
            "退款可以，前提是删掉评价",
            "不然我就给你差评",
        ],
        "must_not_match": [
            "我们已经为您办理退款。",
            "感谢您的五星好评！",
            "您可以随时修改评价。",
            "我不后悔买这个",
            "优惠券下单可用",
        ],
    },
    "ko": {
        "phrases": [
            ("incentive", RATING_KO + r"(를|을)?\s?(좀\s?)?" + CHANGE_KO + r"\S*.{0,30}" + OFFER_KO),
            ("incentive", OFFER_KO + ".{0,30}" + RATING_KO + r"(를|을)?\s?(좀\s?)?" + CHANGE_KO),
            ("incentive", r"(별\s?5개|5점|별점\s?5|만점)\s?(주시면|남겨\s?주시면|작성\s?시|작성하시면)"),
            ("threat", r"(안\s?그러면|그렇지\s?않으면)\s?.{0,15}(악플|별점\s?1|1점|최악의\s?리뷰)"),
            ("threat", r"후회하게\s?(될|해|만들)"),
        ],
        "must_match": [
            "리뷰 삭제하면 환불해 드릴게요.",
            "별점 수정해 주시면 쿠폰 드립니다",
            "환불해 드릴 테니 후기 좀 지워 주세요",
            "별 5개 주시면 사은품 보내드려요",
            "안 그러면 별점 1점 줄 거예요",
            "후회하게 될 거예요",
        ],
        "must_not_match": [
            "환불 처리되었습니다.",
            "리뷰 감사합니다!",
            "리뷰를 수정하셨네요, 감사합니다.",
            "별점 5점 감사합니다",
            "후회 없는 선택",
        ],
    },
    "gu": {
        "phrases": [
            ("incentive", RATING_GU + r"\s?" + CHANGE_GU + ".{0,40}" + OFFER_GU),
            ("incentive", OFFER_GU + ".{0,40}" + RATING_GU + r"\s?" + CHANGE_GU),
            ("incentive", r"(5|પાંચ|૫)\s?(સ્ટાર|તારા).{0,20}(કૂપન|ભેટ|રિફંડ|ડિસ્કાઉન્ટ|ઇનામ)"),
            ("threat", r"(નહીં તો|નહિ તો|નહીંતર).{0,30}(ખરાબ|નકારાત્મક|1 સ્ટાર|એક સ્ટાર)\s?(રિવ્યુ|રિવ્યૂ|સમીક્ષા|રેટિંગ)"),
            ("threat", r"પસ્તાવો\s?(થશે|કરશો)"),
        ],
        "must_match": [
            "રિવ્યુ બદલો તો રિફંડ આપીશું",
            "રિફંડ જોઈએ તો રેટિંગ હટાવો",
            "5 સ્ટાર આપો અને કૂપન મેળવો",
            "પૈસા પાછા આપો, નહીં તો ખરાબ રિવ્યુ લખીશ",
            "તમને પસ્તાવો થશે",
        ],
        "must_not_match": [
            "રિફંડ પ્રક્રિયામાં છે",
            "સરસ રિવ્યુ માટે આભાર",
            "5 સ્ટાર રેટિંગ માટે આભાર",
            "મેં રિવ્યુ બદલી નાખ્યો",
        ],
    },
}

GRANTS = {
    "Moderators": [
        "decide_case",
        "view_case",
        "change_case",
        "view_casedecision",
        "view_textcheck",
        "view_phraselist",
        "add_phraselist",
        "change_phraselist",
        "view_phrase",
        "add_phrase",
        "change_phrase",
        "delete_phrase",
    ],
}


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    phrase_list_model = apps.get_model("trust", "PhraseList")
    phrase_model = apps.get_model("trust", "Phrase")
    for language, data in LISTS.items():
        phrase_list, created = phrase_list_model.objects.get_or_create(
            language=language,
            defaults={"must_match": "\n".join(data["must_match"]), "must_not_match": "\n".join(data["must_not_match"])},
        )
        if created:
            phrase_model.objects.bulk_create(
                [phrase_model(phrase_list=phrase_list, kind=kind, pattern=pattern) for kind, pattern in data["phrases"]]
            )


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    apps.get_model("trust", "PhraseList").objects.filter(language__in=list(LISTS)).delete()


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    # Permissions are normally created after all migrations; create ours now so they can be granted.
    app_config = apps.get_app_config("trust")
    if not getattr(app_config, "models_module", None):
        app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permission_model.objects.filter(content_type__app_label="trust", codename__in=codenames))


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label="trust", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("trust", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(grant, revoke),
    ]
