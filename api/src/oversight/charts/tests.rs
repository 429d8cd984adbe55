use super::*;

/// The contents of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim().to_string()))
        .collect()
}

fn series(name: &str, values: &[f64]) -> Series {
    Series { name: name.into(), values: values.to_vec() }
}

#[test]
fn bars_draw_one_rectangle_per_value_and_escape_labels() {
    let b = Bars {
        title: "按事故类型".into(),
        labels: vec!["高处坠落".into(), "<script>alert(1)</script>".into(), "机械伤害".into()],
        series: vec![series("2026", &[12.0, 3.0, 7.0]), series("2025", &[10.0, 4.0, 9.0])],
        unit: "起".into(),
    };
    let svg = bars(&b, 600).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("高处坠落") && svg.contains("按事故类型"));
    assert!(!svg.contains("<script>"), "labels are escaped");
    assert!(svg.contains("&lt;script&gt;"));
    // Two series: six bars in the palette's first two colours (plus legend swatches).
    let blue = svg.matches("#1F5FA8").count();
    let orange = svg.matches("#E07B20").count();
    assert!(blue >= 3 && orange >= 3, "{blue} {orange}");
    // The value labels at the bars' ends.
    let t = texts(&svg);
    assert!(t.contains(&"12".to_string()) && t.contains(&"9".to_string()), "{t:?}");
    assert!(t.contains(&"2025".to_string()), "a legend for two series");
}

#[test]
fn a_line_has_its_points_and_thinned_month_labels() {
    let months: Vec<String> = (1..=36).map(|m| format!("{}-{:02}", 2024 + (m - 1) / 12, (m - 1) % 12 + 1)).collect();
    let values: Vec<f64> = (0..36).map(|i| f64::from(i % 7)).collect();
    let l =
        Line {
            title: "月度趋势".into(), x_labels: months, series: vec![series("事故", &values)], unit: "起".into()
        };
    let svg = line(&l, 720, 300).unwrap();
    assert!(svg.contains("月度趋势"));
    assert_eq!(svg.matches("<circle").count(), 36, "a point per month");
    assert!(svg.contains("2024-01"));
    let t = texts(&svg);
    let shown = t.iter().filter(|x| x.len() == 7 && x.starts_with("202")).count();
    assert!((6..36).contains(&shown), "labels thinned, not dropped: {shown}");
}

#[test]
fn empty_charts_still_draw() {
    let b = Bars { title: "空".into(), labels: vec![], series: vec![], unit: String::new() };
    assert!(bars(&b, 400).unwrap().contains("</svg>"));
    let l = Line { title: "空".into(), x_labels: vec![], series: vec![], unit: String::new() };
    assert!(line(&l, 400, 200).unwrap().contains("</svg>"));
}
