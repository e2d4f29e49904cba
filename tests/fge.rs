//! `lrtool snapshot-ensemble --fge`: a first phase under --schedule, then Garipov's cycles with
//! a model collected at each cycle's lowest LR, ensembled as snapshots are; bad FGE flags are
//! usage errors.

use crate::util::*;

const BASE: &str = "snapshot-ensemble --quiet --dataset digits --hidden 32 --optimizer sgd --momentum 0.9 --lr 0.05 --batch-size 64 --seed 2";

#[test]
fn fge_collects_one_model_per_cycle_at_its_lowest_lr() {
    let dir = tempdir();
    // 10 epochs, cycles of 2 epochs from epoch 5: cycles 5–6, 7–8, 9–10, a model in the middle
    // of each (after epochs 5, 7, 9)
    let args = format!(
        "{BASE} --epochs 10 --schedule cosine --fge --cycle-epochs 2 --fge-start 5 --fge-lr1 0.04 --fge-lr2 0.001 --out f"
    );
    run(dir.path(), &words(&args)).success();
    let out = dir.path().join("f");
    let steps = Csv::read(&out.join("steps.csv"));
    let lr = steps.f64s("lr");
    let spe = lr.len() / 10;
    let (start, cycle) = (4 * spe, 2 * spe);
    // the first phase is the cosine built for its own 4 epochs: it reaches ~0 at the switch
    assert_eq!(lr[0], 0.05);
    assert!(lr[start - 1] < 1e-3 * 0.05, "{}", lr[start - 1]);
    let snaps = Csv::read(&out.join("snapshots.csv"));
    let taken: Vec<usize> = snaps.f64s("step").iter().map(|&s| s as usize).collect();
    let want: Vec<usize> = (0..3).map(|k| start + k * cycle + cycle / 2 - 1).collect();
    assert_eq!(taken, want);
    let snap_lr = snaps.f64s("lr");
    for (k, &s) in taken.iter().enumerate() {
        // the LR of the collection step is the lowest of its cycle, and α2 (an even cycle)
        let cyc = &lr[start + k * cycle..start + (k + 1) * cycle];
        let lowest = cyc.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(lr[s], lowest, "collection {k}");
        assert!((lr[s] - 0.001).abs() < 1e-12, "collection {k}: {}", lr[s]);
        assert_eq!(snap_lr[k], lr[s]);
        // falls from α1 over the first half, rises back over the second, ends at α1
        assert!(cyc.windows(2).take(cycle / 2 - 1).all(|w| w[1] < w[0]));
        assert!(cyc.windows(2).skip(cycle / 2 - 1).all(|w| w[1] > w[0]));
        assert!((cyc[cycle - 1] - 0.04).abs() < 1e-12);
    }
    let s = summary(&out);
    let fge = &s["config"]["ensemble"]["fge"];
    assert_eq!(fge["cycle_epochs"], 2);
    assert_eq!(fge["start_epoch"], 5);
    assert_eq!(s["config"]["schedule"]["name"], "fge");
    assert_eq!(s["config"]["ensemble"]["snapshots"], 3);
    assert_eq!(s["result"]["ensembles"].as_array().unwrap().len(), 3);
    for k in 1..=3 {
        assert!(
            out.join(format!("snapshots/snapshot-{k}.safetensors"))
                .exists()
        );
    }
}

#[test]
fn fge_defaults_and_an_odd_cycle() {
    let dir = tempdir();
    // defaults: cycles of 4 epochs from epoch ⌊9/2⌋ + 1 = 5, α1 = --lr, α2 = --lr × 0.002;
    // --batch-size 1437 gives 2 steps per epoch (1438 training rows), so a cycle has 8 steps
    let args = format!("{BASE} --epochs 9 --fge --out d --batch-size 1437");
    run(dir.path(), &words(&args)).success();
    let s = summary(&dir.path().join("d"));
    let fge = &s["config"]["ensemble"]["fge"];
    assert_eq!(fge["cycle_epochs"], 4);
    assert_eq!(fge["start_epoch"], 5);
    assert_eq!(num(&fge["lr1"]), 0.05);
    assert!((num(&fge["lr2"]) - 0.0001).abs() < 1e-15);
    let steps: Vec<u64> = s["result"]["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["step"].as_u64().unwrap())
        .collect();
    // the FGE phase has steps 8 … 17: one cycle of 8 steps (collection after its 4th step, step
    // 11) and the start of the next (its 4th step would be 19, past the run)
    assert_eq!(steps, [11]);

    // an odd cycle: 3 steps per epoch (--batch-size 500 over 1438 rows), 1 epoch per cycle;
    // the two steps nearest the middle share the lowest LR and the first is the collection point
    let args =
        format!("{BASE} --epochs 4 --fge --fge-start 3 --cycle-epochs 1 --batch-size 500 --out o");
    run(dir.path(), &words(&args)).success();
    let lr = Csv::read(&dir.path().join("o/steps.csv")).f64s("lr");
    let snaps = Csv::read(&dir.path().join("o/snapshots.csv")).f64s("step");
    assert_eq!(snaps, [6.0, 9.0]);
    for (s, cyc) in [(6usize, &lr[6..9]), (9, &lr[9..12])] {
        let lowest = cyc.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(lr[s], lowest);
    }
}

#[test]
fn bad_fge_flags_are_usage_errors() {
    let dir = tempdir();
    let d = dir.path();
    let check = |args: &str, needles: &[&str]| {
        let all = format!("{BASE} --out bad {args}");
        let r = run(d, &words(&all));
        expect_usage_error(&r, args, needles);
        assert!(!d.join("bad").exists(), "{args}: no output folder");
    };
    check("--epochs 8 --fge --cycle-epochs 0", &["--cycle-epochs 0"]);
    check("--epochs 8 --fge --cycle-epochs -3", &["--cycle-epochs -3"]);
    check("--epochs 8 --cycle-epochs 2", &["--cycle-epochs", "--fge"]);
    check("--epochs 8 --fge-lr1 0.1", &["--fge-lr1", "--fge"]);
    check("--epochs 8 --fge --fge-start 1", &["--fge-start 1"]);
    check(
        "--epochs 8 --fge --fge-start 9",
        &["--fge-start 9", "--epochs (8)"],
    );
    check("--epochs 1 --fge", &["--fge", "--epochs"]);
    check("--epochs 8 --fge --fge-lr1 0", &["--fge-lr1 0"]);
    check("--epochs 8 --fge --fge-lr2 -1", &["--fge-lr2 -1"]);
    check(
        "--epochs 8 --fge --fge-lr1 0.01 --fge-lr2 0.02",
        &["--fge-lr2 0.02", "--fge-lr1"],
    );
    // the cycles from epoch 8 of 8 never reach the middle of a 4-epoch cycle
    check(
        "--epochs 8 --fge --fge-start 8 --cycle-epochs 4",
        &["--cycle-epochs 4", "never reach"],
    );
    // one step per epoch and one epoch per cycle: no middle
    check(
        "--epochs 8 --fge --cycle-epochs 1 --batch-size 5000",
        &["--cycle-epochs 1", "no middle"],
    );
}
