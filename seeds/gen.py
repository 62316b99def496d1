#!/usr/bin/env python3
"""Generates the demo district's seed files (新都区, Chengdu) in this folder,
and those of the two further demo districts of a province deployment
(金牛区 and 武侯区, README "province deployment") in districts/<code>/.

The JSON files are the product and are committed; this script is how they
were made, kept so the data can be changed consistently (a fact a template
verifies must be declared, with the right type, by every application of the
items using it; conflicts of interest must name seeded applicants). It is
deterministic: running it again gives the same files.

  python3 seeds/gen.py                    # rewrite seeds/*.json (新都区)
  python3 seeds/gen.py --district jinniu  # rewrite seeds/districts/jinniu/*.json
  python3 seeds/gen.py --all              # all three

The other districts share the departments' codes, the templates, service
items and calendar; their towns, applicants, credit codes (the district's
administrative code), application ids (their own prefix) and inspectors
are generated with a seed of their own, not copied.
  python3 seeds/uscc.py check seeds
"""
import datetime
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in seeds/

from uscc import make as make_uscc

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20260101)

# ---- departments ---------------------------------------------------------

DEPARTMENTS = [
    ("bureau", "新都区行政审批局", "DEPARTMENT_KIND_BUREAU"),
    ("market", "新都区市场监督管理局", "DEPARTMENT_KIND_INDUSTRY"),
    ("fire", "新都区消防救援大队", "DEPARTMENT_KIND_INDUSTRY"),
    ("police", "成都市公安局新都区分局", "DEPARTMENT_KIND_INDUSTRY"),
    ("health", "新都区卫生健康局", "DEPARTMENT_KIND_INDUSTRY"),
    ("transport", "新都区交通运输局", "DEPARTMENT_KIND_INDUSTRY"),
    ("hrss", "新都区人力资源和社会保障局", "DEPARTMENT_KIND_INDUSTRY"),
    ("culture", "新都区文化广电体育和旅游局", "DEPARTMENT_KIND_INDUSTRY"),
    ("ecology", "成都市新都生态环境局", "DEPARTMENT_KIND_INDUSTRY"),
]

# ---- towns: name -> (latitude, longitude, streets) -------------------------

XINDU_TOWNS = {
    "新都街道": (30.8236, 104.1588, ["桂湖中路", "新中路", "北街", "南街", "育英路", "蓉都大道天河路段"]),
    "桂湖街道": (30.8362, 104.1712, ["桂湖东路", "香城大道", "宝光大道", "正因东街"]),
    "大丰街道": (30.7611, 104.1103, ["蓉北商贸大道二段", "大天路", "南丰大道", "华美东街"]),
    "三河街道": (30.7905, 104.1692, ["三河场正街", "成新大件路", "双龙社区一组", "石犀路"]),
    "斑竹园街道": (30.8698, 104.0812, ["斑竹园大道", "和平街", "三元路"]),
    "石板滩街道": (30.8518, 104.2843, ["石板滩正街", "乐平路", "青白江大道石板滩段"]),
    "新繁街道": (30.8829, 104.0109, ["繁江北路", "东湖路", "清白江路", "龙藏寺路"]),
    "清流镇": (30.9018, 104.0627, ["清流场镇正街", "均田路"]),
    "军屯镇": (30.9322, 104.1486, ["军屯场镇新街", "锅魁路"]),
    "马家镇": (30.8493, 104.2217, ["马家场正街", "升庵路"]),
    "龙桥镇": (30.7708, 104.2034, ["龙桥正街", "龙虎大道"]),
}

# ---- the districts: code -> what tells one district's data from another's --

DISTRICTS = {
    "xindu": {"name": "新都", "admin_code": "510114", "id_prefix": "XD", "seed": None,
              "towns": XINDU_TOWNS, "out": HERE},
    "jinniu": {"name": "金牛", "admin_code": "510106", "id_prefix": "JN", "seed": 20260106,
               "out": os.path.join(HERE, "districts", "jinniu"), "towns": {
                   "西安路街道": (30.6803, 104.0447, ["西安中路", "花牌坊街", "蜀汉路"]),
                   "驷马桥街道": (30.6877, 104.0846, ["驷马桥路", "北站西一路", "梁家巷"]),
                   "茶店子街道": (30.7010, 104.0231, ["茶店子正街", "蜀西路", "羊西线"]),
                   "抚琴街道": (30.6872, 104.0413, ["抚琴西路", "金鱼街", "营门口路"]),
                   "金泉街道": (30.7112, 104.0019, ["金泉路", "土桥街", "金周路"]),
                   "沙河源街道": (30.7210, 104.0510, ["沙湾路", "九里堤北路", "金府路"]),
                   "天回镇街道": (30.7630, 104.0980, ["天回路", "金华寺东路", "大天路"]),
               }},
    "wuhou": {"name": "武侯", "admin_code": "510107", "id_prefix": "WH", "seed": 20260107,
              "out": os.path.join(HERE, "districts", "wuhou"), "towns": {
                  "浆洗街街道": (30.6431, 104.0492, ["洗面桥街", "高升桥路", "武侯祠大街"]),
                  "望江路街道": (30.6329, 104.0822, ["望江路", "九眼桥路", "科华北路"]),
                  "玉林街道": (30.6323, 104.0592, ["玉林南路", "芳草街", "倪家桥路"]),
                  "簇桥街道": (30.6110, 104.0160, ["簇桥正街", "武青南路", "高碑路"]),
                  "火车南站街道": (30.6145, 104.0735, ["人民南路四段", "锦绣路", "永丰路"]),
                  "红牌楼街道": (30.6250, 104.0360, ["红牌楼路", "佳灵路", "太平园中一路"]),
                  "金花桥街道": (30.6071, 103.9831, ["金花正街", "江安河路", "武兴路"]),
              }},
}

DISTRICT = DISTRICTS["xindu"]  # the one being written (main)
TOWNS = XINDU_TOWNS


def here(text):
    """A 新都区 text (names of departments and applicants, addresses) said of
    the district being written."""
    return text.replace("新都", DISTRICT["name"])

# ---- templates ------------------------------------------------------------


def item(code, text, kind, severity="SEVERITY_MAJOR", required=True, **kw):
    it = {"code": code, "text": text, "kind": "ITEM_KIND_" + kind, "required": required,
          "severity": severity}
    it.update(kw)
    return it


def number(code, text, unit, lo, hi, **kw):
    return item(code, text, "NUMBER", unit=unit, min=lo, max=hi, **kw)


def photo(code, text, n, severity="SEVERITY_MINOR"):
    return item(code, text, "PHOTO", severity, min_photos=n)


def notes():
    return item("remarks", "其他需说明的情况", "TEXT", "SEVERITY_MINOR", required=False)


def rel(x):
    return {"relative": x}


def absl(x):
    return {"absolute": x}


TEMPLATES = [
    {"id": "bureau-site", "department": "bureau", "name": "行政审批局现场踏勘通用核查表", "items": [
        item("address_match", "经营场所实际地址与申请材料一致", "BOOL", "SEVERITY_CRITICAL"),
        number("floor_area", "经营场所使用面积", "m2", 1, 100000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        item("signboard", "门头招牌与申请名称一致", "BOOL", "SEVERITY_MINOR"),
        item("premises_use", "场所用途", "CHOICE", choices=["商业", "商住两用", "工业", "其他"]),
        photo("front_photo", "门头及周边环境照片", 2),
        notes(),
    ]},
    {"id": "market-food", "department": "market", "name": "食品经营许可现场核查表", "items": [
        number("floor_area", "经营场所使用面积", "m2", 1, 20000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        number("seats", "就餐座位数", "个", 0, 2000, verifies_fact="seats", tolerance=absl(5)),
        item("layout", "食品处理区布局（生进熟出、生熟分开）", "CHOICE",
             choices=["合理", "基本合理", "不合理"]),
        item("pest_control", "防蝇、防鼠、防虫设施齐全有效", "BOOL", "SEVERITY_CRITICAL"),
        item("toxic_storage", "有无存放有毒有害物品", "BOOL", "SEVERITY_CRITICAL", fail_when_true=True),
        item("health_certs", "从业人员健康证明齐全", "BOOL"),
        item("cold_storage", "冷藏冷冻设施", "BOOL", verifies_fact="has_cold_storage"),
        number("sink_count", "清洗水池数量", "个", 0, 50, severity="SEVERITY_MINOR"),
        photo("kitchen_photo", "加工操作区照片", 3, "SEVERITY_MAJOR"),
        notes(),
    ]},
    {"id": "market-pharmacy", "department": "market", "name": "药品零售企业现场检查表（GSP）", "items": [
        number("floor_area", "营业场所面积", "m2", 1, 5000,
               verifies_fact="floor_area_m2", tolerance=rel(0.05)),
        number("cool_temp", "阴凉区实测温度", "℃", 0, 20, severity="SEVERITY_CRITICAL"),
        item("pharmacist_on_duty", "执业药师在岗", "BOOL", "SEVERITY_CRITICAL"),
        item("cold_chain", "冷藏药品设施（冷藏柜）", "BOOL", verifies_fact="has_cold_storage"),
        item("erp", "计算机管理信息系统可追溯", "BOOL"),
        item("zoning", "药品分区分类陈列", "CHOICE", choices=["规范", "基本规范", "不规范"]),
        item("expired_drugs", "有无过期、变质药品", "BOOL", "SEVERITY_CRITICAL", fail_when_true=True),
        photo("shelf_photo", "营业场所及陈列照片", 3),
        notes(),
    ]},
    {"id": "fire-venue", "department": "fire", "name": "公众聚集场所投入使用营业前消防安全检查表", "items": [
        number("floor_area", "建筑面积", "m2", 1, 200000,
               verifies_fact="floor_area_m2", tolerance=rel(0.05)),
        number("fire_exits", "安全出口数量", "个", 0, 100, severity="SEVERITY_CRITICAL",
               verifies_fact="fire_exits", tolerance=absl(0)),
        item("evacuation_clear", "疏散通道、安全出口畅通", "BOOL", "SEVERITY_CRITICAL"),
        item("emergency_lighting", "应急照明和疏散指示标志完好", "BOOL"),
        number("extinguishers", "灭火器配置数量", "具", 0, 1000),
        item("sprinkler", "自动喷水灭火系统", "BOOL", verifies_fact="has_sprinkler"),
        item("flammables", "有无违规存放易燃易爆物品", "BOOL", "SEVERITY_CRITICAL", fail_when_true=True),
        item("decoration", "室内装修材料燃烧性能", "CHOICE", choices=["A级", "B1级", "B2级及以下"]),
        photo("exit_photo", "安全出口及疏散通道照片", 4, "SEVERITY_MAJOR"),
        notes(),
    ]},
    {"id": "police-hotel", "department": "police", "name": "旅馆业特种行业许可现场核查表", "items": [
        number("rooms", "客房间数", "间", 1, 2000, verifies_fact="rooms", tolerance=absl(0)),
        number("beds", "床位数", "张", 1, 5000, verifies_fact="beds", tolerance=absl(2)),
        item("id_system", "旅馆业治安管理信息系统（实名登记）安装运行", "BOOL", "SEVERITY_CRITICAL"),
        item("cctv", "大堂、通道视频监控覆盖", "BOOL"),
        item("safe_box", "贵重物品保管设施", "BOOL", "SEVERITY_MINOR"),
        item("security_staff", "治安保卫人员配备", "CHOICE", choices=["专职", "兼职", "未配备"]),
        photo("reception_photo", "前台登记区照片", 2),
        notes(),
    ]},
    {"id": "health-clinic", "department": "health", "name": "医疗机构执业登记（诊所）现场审核表", "items": [
        number("floor_area", "诊所建筑面积", "m2", 1, 3000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        number("beds", "观察床数", "张", 0, 20, verifies_fact="beds", tolerance=absl(0)),
        number("dental_chairs", "牙科综合治疗台数", "台", 0, 30, verifies_fact="dental_chairs",
               tolerance=absl(0)),
        item("medical_waste", "医疗废物暂存设施及交接记录", "BOOL", "SEVERITY_CRITICAL"),
        item("disinfection", "消毒隔离设施符合要求", "BOOL", "SEVERITY_CRITICAL"),
        item("staff_qualification", "执业医师、护士资质", "CHOICE", choices=["齐全", "不齐全"]),
        item("layout", "诊室、治疗室、处置室分设", "BOOL"),
        photo("room_photo", "诊疗区照片", 3),
        notes(),
    ]},
    {"id": "health-public-place", "department": "health", "name": "公共场所卫生许可现场审查表", "items": [
        number("floor_area", "营业面积", "m2", 1, 100000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        item("disinfection_room", "公共用品用具清洗消毒间（专间）", "BOOL", "SEVERITY_CRITICAL"),
        item("ventilation", "通风设施运行良好", "BOOL"),
        item("air_report", "室内空气质量检测报告", "BOOL", verifies_fact="has_air_report"),
        item("health_certs", "从业人员健康合格证明", "BOOL"),
        number("co2", "室内二氧化碳浓度", "%", 0, 1, severity="SEVERITY_MINOR", required=False),
        photo("facility_photo", "卫生设施照片", 2),
        notes(),
    ]},
    {"id": "transport-road", "department": "transport", "name": "道路运输经营许可现场核查表", "items": [
        number("vehicles", "营运车辆数", "辆", 1, 2000, verifies_fact="vehicles", tolerance=absl(0)),
        number("parking_area", "停车场地面积", "m2", 0, 100000,
               verifies_fact="parking_area_m2", tolerance=rel(0.1)),
        item("parking_tenure", "停车场地权属", "CHOICE", choices=["自有", "租赁", "无"]),
        item("gps_monitoring", "卫星定位动态监控平台接入", "BOOL", "SEVERITY_CRITICAL",
             verifies_fact="has_gps_platform"),
        item("safety_rules", "安全生产管理制度及安全管理人员", "BOOL"),
        item("vehicle_docs", "车辆技术等级评定及行驶证齐全", "BOOL"),
        photo("yard_photo", "停车场地及车辆照片", 3),
        notes(),
    ]},
    {"id": "hrss-agency", "department": "hrss", "name": "人力资源服务许可现场核查表", "items": [
        number("floor_area", "服务场所面积", "m2", 1, 10000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        number("staff", "专职工作人员数", "人", 1, 500, verifies_fact="staff_count",
               tolerance=absl(1)),
        item("public_notice", "营业执照、许可证、服务项目、收费标准公示", "BOOL"),
        item("rules", "服务制度及台账", "BOOL", "SEVERITY_MINOR"),
        item("staff_certs", "工作人员具备相应专业知识（职业资格）", "CHOICE",
             choices=["全部具备", "部分具备", "不具备"]),
        photo("office_photo", "服务大厅照片", 2),
        notes(),
    ]},
    {"id": "culture-entertainment", "department": "culture", "name": "娱乐场所经营许可现场核查表", "items": [
        number("floor_area", "经营面积", "m2", 1, 50000,
               verifies_fact="floor_area_m2", tolerance=rel(0.05)),
        number("private_rooms", "包厢（包间）数量", "间", 0, 500, verifies_fact="private_rooms",
               tolerance=absl(0)),
        item("transparent_doors", "包厢门设透明门窗且未设内锁", "BOOL", "SEVERITY_CRITICAL"),
        item("cctv", "出入口、主要通道闭路电视监控", "BOOL", "SEVERITY_CRITICAL"),
        item("minors_sign", "未成年人禁入或限入标志", "BOOL", "SEVERITY_MINOR"),
        item("school_distance", "距中小学校园边界200米以内", "BOOL", "SEVERITY_CRITICAL",
             fail_when_true=True),
        photo("room_photo", "包厢及大厅照片", 3),
        notes(),
    ]},
    {"id": "culture-publication", "department": "culture", "name": "出版物零售单位现场核查表", "items": [
        number("floor_area", "经营场所面积", "m2", 1, 5000,
               verifies_fact="floor_area_m2", tolerance=rel(0.1)),
        item("illegal_publications", "有无非法出版物", "BOOL", "SEVERITY_CRITICAL", fail_when_true=True),
        item("purchase_ledger", "进货台账及票据", "BOOL"),
        item("display", "出版物分类陈列", "CHOICE", choices=["规范", "基本规范", "不规范"]),
        photo("store_photo", "店面照片", 2),
        notes(),
    ]},
]

# ---- service items --------------------------------------------------------

Q_BUREAU = "site-inspection"
SERVICE_ITEMS = [
    ("food-business", "食品经营许可", 10, [("market", "food-safety-inspection", "market-food")]),
    ("fire-venue-opening", "公众聚集场所投入使用、营业前消防安全检查", 10,
     [("fire", "fire-safety-inspection", "fire-venue")]),
    ("pharmacy-retail", "药品零售企业许可", 15, [("market", "drug-gsp-inspection", "market-pharmacy")]),
    ("road-transport", "道路货物运输经营许可", 10,
     [("transport", "road-transport-inspection", "transport-road")]),
    ("hotel-special-trade", "旅馆业特种行业许可", 10,
     [("police", "special-trade-inspection", "police-hotel"),
      ("fire", "fire-safety-inspection", "fire-venue")]),
    ("clinic-registration", "医疗机构执业登记（诊所）", 15,
     [("health", "medical-institution-review", "health-clinic")]),
    ("hr-service", "人力资源服务许可", 10, [("hrss", "hr-service-review", "hrss-agency")]),
    ("entertainment-venue", "娱乐场所经营许可", 10,
     [("culture", "culture-market-inspection", "culture-entertainment"),
      ("fire", "fire-safety-inspection", "fire-venue")]),
    ("public-place-hygiene", "公共场所卫生许可", 10,
     [("health", "public-health-inspection", "health-public-place")]),
    ("publication-retail", "出版物零售单位设立", 10,
     [("culture", "culture-market-inspection", "culture-publication")]),
]

# ---- the 2026 calendar (国办发明电〔2025〕7号) --------------------------------

HOLIDAYS_2026 = [
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    ("清明节", "2026-04-04", "2026-04-06", []),
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
    ("端午节", "2026-06-19", "2026-06-21", []),
    ("中秋节", "2026-09-25", "2026-09-27", []),
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
]


def calendar_2026():
    days = []
    for name, first, last, makeups in HOLIDAYS_2026:
        d = datetime.date.fromisoformat(first)
        end = datetime.date.fromisoformat(last)
        while d <= end:
            if d.weekday() < 5:  # a holiday on a weekend is no exception
                days.append({"date": d.isoformat(), "kind": "DAY_KIND_HOLIDAY", "name": name})
            d += datetime.timedelta(days=1)
        for m in makeups:
            assert datetime.date.fromisoformat(m).weekday() >= 5, m
            days.append({"date": m, "kind": "DAY_KIND_MAKEUP_WORKDAY", "name": name + "调休上班"})
    days.sort(key=lambda x: x["date"])
    return [{"year": 2026, "days": days}]

# ---- applications ----------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红梅", "志强", "晓东", "海燕", "玉兰",
         "德明", "春燕", "小琴", "国庆", "永刚", "思远", "雨桐", "子涵", "浩然", "欣怡"]

BRANDS = ["蜀香", "锦味", "桂湖", "香城", "宝光", "天府", "蓉北", "繁江", "升庵", "川西", "新桂", "泰兴",
          "福瑞", "顺和", "嘉禾", "德源", "兴隆", "金穗", "聚贤", "悦来", "惠民", "同仁", "康泰", "永安",
          "鑫达", "安和", "盛世", "华诚", "蜀韵", "锦程"]

# item -> (name patterns, sole proprietor share, facts builder)


def f_num(key, value, unit):
    return {"key": key, "value": {"number": value, "unit": unit}}


def f_flag(key, value):
    return {"key": key, "value": {"flag": value}}


def f_text(key, value):
    return {"key": key, "value": {"text": value}}


def facts_for(code):
    r = rng
    if code == "food-business":
        area = r.choice([45, 60, 85, 120, 150, 220, 320, 480])
        return [f_num("floor_area_m2", area, "m2"), f_num("seats", area // 3, "个"),
                f_flag("has_cold_storage", r.random() < 0.8),
                f_text("business_scope", r.choice(["热食类食品制售", "热食类食品制售；冷食类食品制售",
                                                   "预包装食品销售；热食类食品制售", "糕点类食品制售"]))]
    if code == "fire-venue-opening":
        area = r.choice([380, 650, 900, 1200, 1800, 2600])
        return [f_num("floor_area_m2", area, "m2"),
                f_num("fire_exits", 2 if area < 1000 else r.choice([3, 4]), "个"),
                f_flag("has_sprinkler", area >= 500),
                f_text("venue_type", r.choice(["商场", "餐饮场所", "健身房", "培训机构", "超市"]))]
    if code == "pharmacy-retail":
        return [f_num("floor_area_m2", r.choice([60, 80, 100, 120, 150]), "m2"),
                f_flag("has_cold_storage", r.random() < 0.9),
                f_text("business_scope", "处方药、甲类非处方药、乙类非处方药：中药饮片、中成药、化学药制剂、抗生素制剂、生化药品")]
    if code == "road-transport":
        return [f_num("floor_area_m2", r.choice([60, 80, 120]), "m2"),
                f_num("vehicles", r.choice([5, 8, 12, 20, 35]), "辆"),
                f_num("parking_area_m2", r.choice([600, 900, 1500, 2400]), "m2"),
                f_flag("has_gps_platform", True),
                f_text("transport_scope", r.choice(["普通货运", "普通货运；货物专用运输（集装箱）", "大型物件运输"]))]
    if code == "hotel-special-trade":
        rooms = r.choice([12, 18, 26, 40, 66])
        return [f_num("floor_area_m2", rooms * 28, "m2"), f_num("rooms", rooms, "间"),
                f_num("beds", rooms + rooms // 2, "张"), f_num("fire_exits", 2, "个"),
                f_flag("has_sprinkler", rooms >= 26)]
    if code == "clinic-registration":
        dental = r.random() < 0.5
        return [f_num("floor_area_m2", r.choice([80, 100, 130, 160]), "m2"),
                f_num("beds", 0 if dental else r.choice([2, 3, 4]), "张"),
                f_num("dental_chairs", r.choice([2, 3, 4]) if dental else 0, "台"),
                f_text("clinic_type", "口腔诊所" if dental else r.choice(["中医诊所", "西医诊所", "中西医结合诊所"]))]
    if code == "hr-service":
        return [f_num("floor_area_m2", r.choice([60, 90, 120, 200]), "m2"),
                f_num("staff_count", r.choice([3, 5, 8, 12]), "人"),
                f_text("service_scope", "职业介绍；人力资源供求信息的收集和发布；人力资源管理咨询")]
    if code == "entertainment-venue":
        area = r.choice([600, 900, 1400, 2000])
        return [f_num("floor_area_m2", area, "m2"), f_num("private_rooms", area // 60, "间"),
                f_num("fire_exits", 2 if area < 1000 else 3, "个"), f_flag("has_sprinkler", True),
                f_text("venue_type", r.choice(["歌舞娱乐场所（KTV）", "游艺娱乐场所"]))]
    if code == "public-place-hygiene":
        return [f_num("floor_area_m2", r.choice([80, 150, 260, 400, 900]), "m2"),
                f_flag("has_air_report", r.random() < 0.85),
                f_text("place_type", r.choice(["美容美发场所", "沐浴场所", "游泳场所", "宾馆"]))]
    if code == "publication-retail":
        return [f_num("floor_area_m2", r.choice([40, 60, 90, 150]), "m2"),
                f_text("business_scope", "图书、报纸、期刊、音像制品零售")]
    raise KeyError(code)


NAMES = {
    "food-business": ["成都市新都区{b}餐饮店", "成都市新都区{b}小吃店", "成都{b}餐饮管理有限公司新都分店",
                      "成都市新都区{b}火锅店", "成都市新都区{b}面馆"],
    "fire-venue-opening": ["成都{b}商业管理有限公司", "成都{b}健身服务有限公司", "成都{b}超市有限公司新都店",
                           "成都{b}教育咨询有限公司"],
    "pharmacy-retail": ["成都{b}大药房连锁有限公司新都{t}店", "成都市新都区{b}药店"],
    "road-transport": ["成都{b}物流有限公司", "成都{b}运输有限公司"],
    "hotel-special-trade": ["成都市新都区{b}宾馆", "成都{b}酒店管理有限公司", "成都市新都区{b}民宿"],
    "clinic-registration": ["成都新都{b}诊所", "成都新都{b}口腔诊所", "成都新都{b}中医诊所"],
    "hr-service": ["成都{b}人力资源管理有限公司", "四川{b}人力资源服务有限公司新都分公司"],
    "entertainment-venue": ["成都{b}娱乐有限公司", "成都市新都区{b}KTV"],
    "public-place-hygiene": ["成都市新都区{b}美发店", "成都{b}游泳健身有限公司", "成都市新都区{b}沐足店"],
    "publication-retail": ["成都市新都区{b}书店", "成都市新都区{b}文具书店"],
}

# How many applications of each item, and the stage each ends in: most wait
# at intake or review so that dispatch has work.
PLAN = [
    ("food-business", 10), ("fire-venue-opening", 6), ("pharmacy-retail", 5),
    ("road-transport", 4), ("hotel-special-trade", 5), ("clinic-registration", 4),
    ("hr-service", 3), ("entertainment-venue", 4), ("public-place-hygiene", 6),
    ("publication-retail", 3),
]
STAGES = (["STAGE_INTAKE"] * 21 + ["STAGE_REVIEW"] * 17 + ["STAGE_INSPECTION"] * 2
          + ["STAGE_DECISION"] * 4 + ["STAGE_CERTIFIED"] * 3 + ["STAGE_ARCHIVED"] * 3)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(name):
    sole = name.startswith(here("成都市新都区")) or "诊所" in name
    code = DISTRICT["admin_code"]  # 新都区 510114
    prefix = ("92" if sole else "91") + code  # 个体工商户 / 企业
    tail = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    return make_uscc(prefix, "MA" + tail)


def applications():
    apps = []
    brands = BRANDS[:]
    rng.shuffle(brands)
    stages = STAGES[:]
    rng.shuffle(stages)
    n = 0
    towns = list(TOWNS)
    used_names = set()
    for code, count in PLAN:
        for _ in range(count):
            n += 1
            town = towns[(n * 7) % len(towns)]
            lat, lon, streets = TOWNS[town]
            while True:
                name = here(rng.choice(NAMES[code]).format(b=rng.choice(BRANDS), t=town.replace("街道", "").replace("镇", "")))
                if name not in used_names:
                    used_names.add(name)
                    break
            app = {
                "id": "%s-2026-%06d" % (DISTRICT["id_prefix"], n + 1200),
                "service_item": code,
                "applicant_name": name,
                "applicant_credit_code": credit_code(name),
                "site_address": here("成都市新都区%s%s%d号") % (town, rng.choice(streets), rng.randint(1, 399)),
                "town": town,
                "latitude": round(lat + rng.uniform(-0.012, 0.012), 5),
                "longitude": round(lon + rng.uniform(-0.012, 0.012), 5),
                "declared_facts": facts_for(code),
                "stage": stages[n - 1],
            }
            apps.append(app)
    return apps

# ---- inspectors ------------------------------------------------------------

# department -> [(qualification codes), count]
STAFF = [
    ("bureau", [Q_BUREAU], 8),
    ("market", ["food-safety-inspection", "drug-gsp-inspection"], 7),
    ("fire", ["fire-safety-inspection"], 6),
    ("police", ["special-trade-inspection"], 3),
    ("health", ["medical-institution-review", "public-health-inspection"], 6),
    ("transport", ["road-transport-inspection"], 4),
    ("hrss", ["hr-service-review"], 3),
    ("culture", ["culture-market-inspection"], 4),
    ("ecology", ["environmental-inspection"], 1),
]


def inspectors(apps):
    people = []
    used = set()
    towns = list(TOWNS)
    k = 0
    for dept, quals, count in STAFF:
        for i in range(count):
            k += 1
            while True:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                if name not in used:
                    used.add(name)
                    break
            # qualifications: every code of the department for most; one code
            # for some; expiry in 2027-2029, a few already expired
            held = quals if (len(quals) == 1 or i % 3 != 2) else [quals[i % len(quals)]]
            qs = []
            for q in held:
                year = rng.choice([2027, 2027, 2028, 2029])
                exp = "%d-%02d-%02d" % (year, rng.randint(1, 12), rng.choice([1, 15, 28]))
                qs.append({"code": q, "expires": exp})
            if k in (5, 17, 29, 36):  # lapsed: renewal not yet done
                qs[0]["expires"] = rng.choice(["2025-12-31", "2026-06-30", "2026-09-30"])
            # towns served: 2-5 neighbouring towns; bureau staff cover more
            start = (k * 3) % len(towns)
            n = 5 if dept == "bureau" else rng.randint(2, 4)
            served = [towns[(start + j) % len(towns)] for j in range(n)]
            base = TOWNS[served[0]]
            p = {
                "id": "%s-%03d" % (dept, i + 1),
                "name": name,
                "department": dept,
                "qualifications": qs,
                "towns": served,
                "max_open_tasks": rng.randint(3, 8),
                "active": k not in (11, 24, 33),  # on leave / transferred
                "base_latitude": round(base[0] + rng.uniform(-0.005, 0.005), 5),
                "base_longitude": round(base[1] + rng.uniform(-0.005, 0.005), 5),
            }
            people.append(p)
    # conflicts of interest: a relative runs the business, or the inspector
    # did a paid consultation for it
    by_dept = {}
    for p in people:
        by_dept.setdefault(p["department"], []).append(p)
    item_dept = {code: [d for d, _, _ in deps] for code, _, _, deps in SERVICE_ITEMS}
    picks = [apps[0], apps[3], apps[12], apps[22], apps[30], apps[41]]
    for j, a in enumerate(picks):
        dept = item_dept[a["service_item"]][0]
        p = by_dept[dept][j % len(by_dept[dept])]
        p.setdefault("conflicts", []).append(a["applicant_credit_code"])
        b = by_dept["bureau"][j % len(by_dept["bureau"])]
        if j % 2 == 0:
            b.setdefault("conflicts", []).append(a["applicant_credit_code"])
    # conflicts go before public_key etc. in field order: rebuild key order
    order = ["id", "name", "department", "qualifications", "towns", "max_open_tasks",
             "conflicts", "active", "base_latitude", "base_longitude"]
    return [{k2: p[k2] for k2 in order if k2 in p} for p in people]


def write(name, data):
    os.makedirs(DISTRICT["out"], exist_ok=True)
    path = os.path.join(DISTRICT["out"], name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")


def generate(code):
    """Writes the seed files of district `code` (a key of DISTRICTS)."""
    global DISTRICT, TOWNS
    DISTRICT = DISTRICTS[code]
    TOWNS = DISTRICT["towns"]
    if DISTRICT["seed"] is not None:
        rng.seed(DISTRICT["seed"])
    write("departments.json", [{"code": c, "name": here(n), "kind": k} for c, n, k in DEPARTMENTS])
    write("templates.json", TEMPLATES)
    write("service_items.json", [
        {"code": code, "name": name,
         "departments": [{"department": "bureau", "qualification": Q_BUREAU,
                          "template_id": "bureau-site"}]
         + [{"department": d, "qualification": q, "template_id": t} for d, q, t in deps],
         "limit_working_days": limit}
        for code, name, limit, deps in SERVICE_ITEMS])
    write("calendar-2026.json", calendar_2026())
    apps = applications()
    write("inspectors.json", inspectors(apps))
    write("applications.json", apps)


def main(argv):
    if argv == ["--all"]:
        for code in DISTRICTS:  # xindu first: its files are what they always were
            generate(code)
    elif len(argv) == 2 and argv[0] == "--district" and argv[1] in DISTRICTS:
        generate(argv[1])
    elif not argv:
        generate("xindu")
    else:
        sys.exit("usage: gen.py [--district %s | --all]" % "|".join(DISTRICTS))


if __name__ == "__main__":
    main(sys.argv[1:])
